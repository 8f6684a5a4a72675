-- Resident ID numbers no longer in clear (libs/pii.py): a keyed hash keeps them unique and finds them,
-- the sealed value keeps them. Rows written before this are sealed by the service at start
-- (adapters/sealing.py), which then empties `certno`; the column goes in a later release.
ALTER TABLE persons
    ADD COLUMN certno_hash   text,
    ADD COLUMN certno_sealed text,
    ALTER COLUMN certno DROP NOT NULL;
ALTER TABLE persons ADD CONSTRAINT persons_certno_hash_key UNIQUE (certno_hash);
