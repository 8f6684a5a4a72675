-- What an operator did with a dead letter (libs/messaging/dead_letter_api.py): replayed it to its
-- source topic, or discarded it with a note. One action each: a dead letter is resolved once, and a
-- replayed message that fails again is parked as a new dead letter. Who did it is kept here, so the
-- service's own database answers "who replayed this" without the console.
CREATE TABLE dead_letter_actions (
    dead_letter_id    bigint      PRIMARY KEY REFERENCES dead_letters (id),
    action            text        NOT NULL CHECK (action IN ('replayed', 'discarded')),
    actor             text        NOT NULL,
    actor_role        text        NOT NULL,
    note              text        NOT NULL DEFAULT '',
    replayed_event_id uuid,
    at                timestamptz NOT NULL DEFAULT now()
);
