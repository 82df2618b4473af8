-- ActSearch schema, version 1. Applied once, inside the migrator's transaction (see Migrator.cs).
-- 64-bit unsigned values (fingerprints, seeds, generator words) are stored as bigint with the same bits.

CREATE TABLE jobs (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL,
    space_name         text NOT NULL,
    space_yaml         text NOT NULL,
    seed               bigint NOT NULL,
    status             text NOT NULL
                       CHECK (status IN ('queued', 'running', 'paused', 'finished', 'failed', 'cancelled')),
    budget_evaluations bigint CHECK (budget_evaluations > 0),
    budget_wall_time   interval,
    owner              text NOT NULL,
    error              text,
    created_at         timestamptz NOT NULL,
    started_at         timestamptz,
    finished_at        timestamptz
);
CREATE INDEX jobs_by_created ON jobs (created_at DESC);

-- One row per proposed genome. genome is GraphJson text kept verbatim (json, not jsonb: jsonb would
-- rewrite numbers and key order, and checkpoints rely on exact round-trips).
CREATE TABLE candidates (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    id          bigint NOT NULL CHECK (id >= 0),
    generation  integer NOT NULL CHECK (generation >= 0),
    formula     text NOT NULL,
    genome      json NOT NULL,
    fingerprint bigint NOT NULL,
    parent_ids  bigint[] NOT NULL,
    operator    text NOT NULL,
    PRIMARY KEY (job_id, id)
);
CREATE INDEX candidates_by_fingerprint ON candidates (fingerprint);

-- How each candidate ended: exactly one row, one of a closed set of kinds.
CREATE TABLE outcomes (
    job_id       uuid NOT NULL,
    candidate_id bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('evaluated', 'rejected', 'failed', 'cancelled')),
    stage        text,
    reason       text,
    seconds      double precision NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (job_id, candidate_id),
    FOREIGN KEY (job_id, candidate_id) REFERENCES candidates (job_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'rejected') = (stage IS NOT NULL)),
    CHECK ((kind IN ('rejected', 'failed')) = (reason IS NOT NULL))
);

-- One measured number per objective and proxy task ('' = not task-specific) and seed.
CREATE TABLE scores (
    job_id       uuid NOT NULL,
    candidate_id bigint NOT NULL,
    objective    text NOT NULL,
    task         text NOT NULL DEFAULT '',
    seed         bigint NOT NULL,
    value        double precision NOT NULL,
    device       text NOT NULL,
    wall_ms      double precision NOT NULL CHECK (wall_ms >= 0),
    PRIMARY KEY (job_id, candidate_id, objective, task, seed),
    FOREIGN KEY (job_id, candidate_id) REFERENCES candidates (job_id, id) ON DELETE CASCADE
);

-- The non-dominated set after each generation; values is row-major, one row per member, one column per objective.
CREATE TABLE fronts (
    job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    generation    integer NOT NULL CHECK (generation >= 0),
    objectives    text[] NOT NULL,
    candidate_ids bigint[] NOT NULL,
    "values"      double precision[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, generation),
    CHECK (cardinality("values") = cardinality(candidate_ids) * cardinality(objectives))
);

-- Everything needed to continue a job after a crash: the engine's state (JSON) and its generator words.
CREATE TABLE checkpoints (
    job_id     uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    generation integer NOT NULL CHECK (generation >= 0),
    state      json NOT NULL,
    rng        bigint[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, generation)
);

-- The activation catalog: one row per function (fingerprint) across all jobs.
CREATE TABLE catalog (
    fingerprint bigint PRIMARY KEY,
    formula     text NOT NULL,
    first_job   uuid NOT NULL,
    latest_job  uuid NOT NULL,
    times_seen  integer NOT NULL CHECK (times_seen > 0),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL
);
CREATE INDEX catalog_by_last_seen ON catalog (last_seen DESC);

-- The best value of each objective on each task seen for a function, and where it came from.
CREATE TABLE catalog_scores (
    fingerprint  bigint NOT NULL REFERENCES catalog (fingerprint) ON DELETE CASCADE,
    objective    text NOT NULL,
    task         text NOT NULL DEFAULT '',
    maximize     boolean NOT NULL,
    best         double precision NOT NULL,
    job_id       uuid NOT NULL,
    candidate_id bigint NOT NULL,
    PRIMARY KEY (fingerprint, objective, task)
);
-- "Top N by accuracy on a task" walks this index (forwards or backwards) and stops after N rows.
CREATE INDEX catalog_scores_rank ON catalog_scores (objective, task, best, fingerprint);
