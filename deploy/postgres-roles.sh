#!/usr/bin/env bash
# The platform's Postgres roles and databases (docs/database-roles.md), for both stacks:
# - deploy/postgres.sh sources this file for DATABASES, ADMIN_ROLE and provision_sql;
# - docker-compose.yml mounts it as an init script of the postgres image (PG_DOCKER_INIT=1), which runs
#   it once, on an empty data directory, with the secrets file (PG_<ROLE>_PASSWORD) at $SECRETS_FILE.
# provision_sql prints psql input that expects `-v admin=<role>` and `\set pass_<role> '...'` lines before it.

DATABASES=(enrollment settlement wallet clearing gateway console)  # one role and one database each
ADMIN_ROLE=owner   # the administration role: CREATEDB CREATEROLE, not superuser

provision_sql() {
  local db
  cat <<'SQL'
-- The administration role: creates databases and roles, is no superuser.
SELECT format('CREATE ROLE %I', :'admin') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'admin') \gexec
\set admin_pass :pass_owner
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER CREATEDB CREATEROLE NOREPLICATION PASSWORD %L', :'admin', :'admin_pass') \gexec
SELECT format('GRANT pg_signal_backend TO %I', :'admin') \gexec
-- The maintenance database is the administration role's alone, like every service's database.
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
SELECT format('GRANT CONNECT ON DATABASE postgres TO %I', :'admin') \gexec
SQL
  for db in "${DATABASES[@]}"; do
    cat <<SQL
\\set role $db
\\set pass :pass_$db
SQL
    cat <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'role', :'pass') \gexec
SELECT format('GRANT %I TO %I', :'role', :'admin') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'role') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'role', :'role') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'role') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'role', :'role') \gexec
SQL
  done
  # A stack made before these roles existed: its one superuser `medins` (password in the repository)
  # owned everything. Its other databases go to the administration role, each service's tables to the
  # service, and it can no longer log in.
  cat <<'SQL'
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'medins') AS legacy \gset
\if :legacy
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'admin') FROM pg_database
 WHERE datdba = 'medins'::regrole \gexec
SQL
  for db in "${DATABASES[@]}"; do
    printf '\\connect %s\nREASSIGN OWNED BY medins TO %s;\n' "$db" "$db"
  done
  cat <<'SQL'
\connect postgres
ALTER ROLE medins NOLOGIN NOSUPERUSER;
\endif
SQL
}

# psql's `\set pass_<role> '...'` lines from PG_<ROLE>_PASSWORD values (on stdin, never on a command line).
password_lines() {   # password_lines LOOKUP: LOOKUP NAME prints the value of NAME
  local role pass
  for role in "$ADMIN_ROLE" "${DATABASES[@]}"; do
    pass="$("$1" "PG_${role^^}_PASSWORD")"
    if [[ -z $pass ]]; then echo "no PG_${role^^}_PASSWORD" >&2; return 1; fi
    if [[ $pass == *[\'\\]* ]]; then echo "PG_${role^^}_PASSWORD has a quote or a backslash" >&2; return 1; fi
    printf "\\set pass_%s '%s'\n" "$role" "$pass"
  done
}

if [[ -n ${PG_DOCKER_INIT:-} ]]; then   # the postgres image's first start
  from_file() { sed -n "s/^$1=//p" "$SECRETS_FILE" | tail -n 1; }
  sql="$(password_lines from_file)" || exit 1
  psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v admin="$ADMIN_ROLE" \
    <<<"$sql"$'\n'"$(provision_sql)"
  # The image's bootstrap superuser keeps no password: it is reached over the container's socket alone.
  psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "ALTER ROLE \"$POSTGRES_USER\" PASSWORD NULL"
fi
