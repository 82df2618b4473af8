-- ActSearch schema, version 4: which outcomes no worker produced.

-- True when the outcome was copied from an earlier candidate with the same fingerprint (the engine's
-- functional-equivalence cache, or an identical candidate of the same generation): nothing was probed or trained
-- for it and its seconds are 0. Reports count these as removed by the duplicate stage, not as trained. Rows written
-- before this version read false.
ALTER TABLE outcomes ADD COLUMN cached boolean NOT NULL DEFAULT false;
ALTER TABLE outcomes ADD CONSTRAINT outcomes_cached_not_cancelled CHECK (NOT (cached AND kind = 'cancelled'));
