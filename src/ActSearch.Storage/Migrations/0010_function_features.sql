-- ActSearch schema, version 10: features kept per function.
--
-- A surrogate's costly features (the Fisher spectrum of a task's network at initialization: a forward and backward pass
-- per probe example) are computed once per function and kept here, keyed by the function's fingerprint, the kind of
-- features, the task and the version of the method (a new method writes a new version, so older vectors are not mixed in).
-- A job grain reads a set's vectors before its surrogate screens and writes what it computed; the web UI's activation
-- page shows a function's vectors. Not tied to a job: any job's function may be another's.

CREATE TABLE function_features (
    fingerprint bigint NOT NULL,
    kind        text NOT NULL,
    task        text NOT NULL DEFAULT '',
    version     integer NOT NULL CHECK (version >= 1),
    vals        double precision[] NOT NULL,
    seconds     double precision NOT NULL CHECK (seconds >= 0),
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, task, version, fingerprint)
);

CREATE INDEX function_features_by_function ON function_features (fingerprint);
CREATE INDEX function_features_latest ON function_features (kind, task, version, computed_at DESC);
