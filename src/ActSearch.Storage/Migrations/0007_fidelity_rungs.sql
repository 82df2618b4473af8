-- ActSearch schema, version 7: fidelity rungs.
--
-- A search with fidelity rungs scores a candidate at the lowest rung first and, when it is promoted, again at the next
-- (trained longer or with more seeds). Each of those ends with its own outcome and scores, so both carry the rung and
-- are unique per candidate and rung. Rung 0 is the lowest, and the only one of a search without rungs (every row
-- written before this version).

ALTER TABLE outcomes ADD COLUMN rung integer NOT NULL DEFAULT 0 CHECK (rung >= 0);
ALTER TABLE outcomes DROP CONSTRAINT outcomes_pkey;
ALTER TABLE outcomes ADD PRIMARY KEY (job_id, candidate_id, rung);

ALTER TABLE scores ADD COLUMN rung integer NOT NULL DEFAULT 0 CHECK (rung >= 0);
ALTER TABLE scores DROP CONSTRAINT scores_pkey;
ALTER TABLE scores ADD PRIMARY KEY (job_id, candidate_id, rung, objective, task, seed);
