-- Failed sign-ins, for the console's lockout (services/console/domain/login_throttle.py). Kept in the
-- database so every console process counts the same failures; rows older than the window are removed
-- as new ones arrive.
CREATE TABLE login_failures (
    id       bigserial PRIMARY KEY,
    username text        NOT NULL,
    address  text        NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
