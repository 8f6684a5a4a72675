-- Insured persons: the row every command for the person locks (SELECT ... FOR UPDATE), so one person's
-- commands never interleave; the ID number is unique (DUPLICATE_ID_NUMBER); the last snapshot published.
-- certno is kept only here and in the registration event, never published.
CREATE TABLE persons (
    psn_no            text PRIMARY KEY,
    certno            text        NOT NULL UNIQUE,
    snapshot_version  int         NOT NULL DEFAULT 0,
    snapshot          jsonb,
    snapshot_on       date,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_snapshot_on ON persons (snapshot_on);

-- Each person's facts in order; replaying them rebuilds the aggregate (InsuredPerson.replay).
-- Appended in the same transaction as the command record and the outbox rows.
CREATE TABLE person_events (
    psn_no       text        NOT NULL REFERENCES persons (psn_no),
    seq          int         NOT NULL,
    event_type   text        NOT NULL,
    data         jsonb       NOT NULL,
    command_id   text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (psn_no, seq)
);

-- Every command handled, by its id, with its outcome: a repeat is answered from here and changes nothing.
-- A refusal writes only this row (and its EnrollmentCommandRefused in the outbox).
CREATE TABLE enrollment_commands (
    command_id    text PRIMARY KEY,
    command_type  text        NOT NULL,
    psn_no        text,
    payload_hash  text        NOT NULL,
    outcome       text        NOT NULL CHECK (outcome IN ('done', 'refused')),
    reason_code   text,
    reason        text,
    version       int,
    handled_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrollment_commands_person ON enrollment_commands (psn_no);
