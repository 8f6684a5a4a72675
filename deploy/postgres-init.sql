-- One database per service (used by docker-compose; deploy/postgres.sh does the same natively).
CREATE DATABASE enrollment;
CREATE DATABASE settlement;
CREATE DATABASE wallet;
CREATE DATABASE clearing;
CREATE DATABASE console;
