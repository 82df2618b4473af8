-- ActSearch schema, version 8: held-out evaluations.
--
-- `actsearch report` re-trains a job's best functions and the baselines on tasks the search did not use and tests them
-- (Welch's t-test against the best baseline per task, the transfer record across tasks). Its result is kept with the job,
-- so the web UI's job page shows the same table: the latest evaluation of a job, as one JSON document in the HTTP API's
-- shape (docs/http-api.md, "Held-out evaluation"), replaced by the next one.

CREATE TABLE heldout_evaluations (
    job_id       uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    protocol     text NOT NULL CHECK (protocol IN ('standard', 'evidence')),
    document     jsonb NOT NULL
);
