-- A claim whose personal part the wallet refused is void: its accumulators and codes were given back.
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('adjudicated', 'settled', 'cancelling', 'cancelled', 'void'));
ALTER TABLE claims ADD COLUMN void_reason text;
