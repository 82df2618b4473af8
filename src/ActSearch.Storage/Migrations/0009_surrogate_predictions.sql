-- ActSearch schema, version 9: surrogate predictions.
--
-- A search space with `surrogate:` breeds several children per free slot; a Gaussian process predicts one objective for
-- each of them, the best-ranked child is trained and the others are rejected at the stage 'surrogate'. Every prediction
-- is kept (the trained child's and the screened ones'), so the API and the web UI can set predicted against measured
-- for the trained children (their measured value is in `scores`, rung 0) and report the rank correlation. Written by the
-- job grain after it hands the children out; a coordinator that stops before the write loses those predictions only.

CREATE TABLE predictions (
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    candidate_id bigint NOT NULL CHECK (candidate_id >= 0),
    objective    text NOT NULL,
    task         text NOT NULL DEFAULT '',
    mean         double precision NOT NULL,
    std          double precision NOT NULL CHECK (std >= 0),
    trained      boolean NOT NULL,
    PRIMARY KEY (job_id, candidate_id)
);
