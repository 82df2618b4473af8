-- ActSearch schema, version 5: a job's objectives, resolved once from its search space, are stored with the job and
-- with every front, so readers (the API, the report, the web UI) never parse the space again to learn them.

-- The job's objective keys ('accuracy@fmnist-cnn', 'complexity') in the search's order, and for each whether larger
-- is better. NULL for stubs and for jobs written before this version until a coordinator fills them in on start.
ALTER TABLE jobs ADD COLUMN objectives text[];
ALTER TABLE jobs ADD COLUMN maximize boolean[];
ALTER TABLE jobs ADD CONSTRAINT jobs_objective_directions
    CHECK ((objectives IS NULL) = (maximize IS NULL) AND cardinality(objectives) = cardinality(maximize));

-- For each of the front's objectives, whether larger is better (NULL for fronts written before this version until
-- their job's objectives are filled in).
ALTER TABLE fronts ADD COLUMN maximize boolean[];
ALTER TABLE fronts ADD CONSTRAINT fronts_objective_directions
    CHECK (maximize IS NULL OR cardinality(maximize) = cardinality(objectives));
