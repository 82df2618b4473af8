-- ActSearch schema, version 2: what the search-job grains' store (ActSearch.Grains' PostgresJobStore) needs.

-- The host's own fields of a job that the columns do not hold (JSON, verbatim and opaque to storage): for the
-- job grains, the spec's overrides as submitted and the running time. NULL for jobs written without them.
ALTER TABLE jobs ADD COLUMN details json;

-- Unfinished jobs: a coordinator that starts wakes them.
CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE status IN ('queued', 'running', 'paused');

-- An evaluated candidate's outcome exactly as the engine got it: one value per objective in the job's objective
-- order (scores hold the same values by name), and the genome the scorer tuned (GraphJson, verbatim) when it did.
-- recorded_by names the write that stored the row, so a write retried after its commit's answer was lost knows
-- the row is its own.
ALTER TABLE outcomes ADD COLUMN objectives  double precision[];
ALTER TABLE outcomes ADD COLUMN refined     json;
ALTER TABLE outcomes ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE outcomes ADD COLUMN recorded_by uuid;
ALTER TABLE outcomes ADD CONSTRAINT outcomes_evaluated_fields
    CHECK (kind = 'evaluated' OR (objectives IS NULL AND refined IS NULL));
