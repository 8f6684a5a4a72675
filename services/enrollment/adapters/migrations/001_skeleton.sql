-- Insured persons. certno and psn_name are kept only here, never republished.
CREATE TABLE persons (
    psn_no          text PRIMARY KEY,
    certno          text        NOT NULL UNIQUE,
    psn_name        text        NOT NULL,
    gend            text        NOT NULL,
    brdy            date        NOT NULL,
    version         int         NOT NULL DEFAULT 1,
    coverage        jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every command handled, by its id: a repeat is answered from here and changes nothing.
CREATE TABLE commands (
    command_id   text PRIMARY KEY,
    kind         text        NOT NULL,
    outcome      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
