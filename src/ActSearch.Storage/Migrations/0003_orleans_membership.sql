-- ActSearch schema, version 3: the cluster membership table of Orleans' ADO.NET clustering (Invariant "Npgsql"),
-- so that silos in several processes or on several hosts find each other through the same database that keeps
-- the jobs. Orleans reads its statements by key from a table named OrleansQuery; each statement below fulfils one
-- key's contract (parameters @Name, result columns named as Orleans reads them). Written for ActSearch from that
-- contract (Orleans.Clustering.AdoNet: DbStoredQueries, RelationalOrleansQueries).
--
-- The protocol: a cluster (Orleans passes its ClusterId as @DeploymentId) has one version row. Every change of
-- membership (a silo joins, a silo's status or suspicions change) is conditional on the version the writer read
-- and bumps it, so two silos acting on the same view cannot both win. "I am alive" heartbeats are not versioned.

CREATE TABLE orleans_membership_version (
    deployment_id text        PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans_membership (
    deployment_id   text        NOT NULL REFERENCES orleans_membership_version ON DELETE CASCADE,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,       -- Orleans' SiloStatus: 3 active, 6 dead, ...
    proxy_port      integer     NOT NULL,       -- the gateway port; 0 when the silo has none
    suspect_times   text,                       -- "silo,time|silo,time" as Orleans writes it
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- A silo joins: only if the table is still at the version the silo read, and only once per silo address.
CREATE FUNCTION orleans_insert_member(
    p_deployment text, p_version integer, p_address text, p_port integer, p_generation integer, p_silo_name text,
    p_host_name text, p_status integer, p_proxy_port integer, p_start_time timestamptz, p_alive timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleans_membership_version WHERE deployment_id = p_deployment AND version = p_version FOR UPDATE;
    IF NOT FOUND THEN RETURN false; END IF;
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
                                    start_time, i_am_alive_time)
    VALUES (p_deployment, p_address, p_port, p_generation, coalesce(p_silo_name, ''), coalesce(p_host_name, ''), p_status, p_proxy_port,
            p_start_time, p_alive)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN RETURN false; END IF;
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment;
    RETURN true;
END $$;

-- A silo's status or suspicions change: only if the table is still at the version the writer read.
CREATE FUNCTION orleans_update_member(
    p_deployment text, p_version integer, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_alive timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleans_membership_version WHERE deployment_id = p_deployment AND version = p_version FOR UPDATE;
    IF NOT FOUND THEN RETURN false; END IF;
    UPDATE orleans_membership SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_alive
    WHERE deployment_id = p_deployment AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN RETURN false; END IF;
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment;
    RETURN true;
END $$;

-- The statements Orleans looks up by key. Table and column names are Orleans' own (unquoted, so lower-case here).
CREATE TABLE OrleansQuery (
    QueryKey  text PRIMARY KEY,
    QueryText text NOT NULL
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
        ON CONFLICT DO NOTHING RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM created)
$q$),
('InsertMembershipKey', $q$
    SELECT orleans_insert_member(@DeploymentId, @Version, @Address, @Port, @Generation, @SiloName, @HostName,
                                 @Status, @ProxyPort, @StartTime, @IAmAliveTime)
$q$),
('UpdateMembershipKey', $q$
    SELECT orleans_update_member(@DeploymentId, @Version, @Address, @Port, @Generation, @Status, @SuspectTimes,
                                 @IAmAliveTime)
$q$),
('UpdateIAmAlivetimeKey', $q$
    UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime
    WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
-- Reads return the version row even when no silo matches (a row whose StartTime is NULL carries only the version).
('MembershipReadRowKey', $q$
    SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
           m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
           m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
         AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    WHERE v.deployment_id = @DeploymentId
$q$),
('MembershipReadAllKey', $q$
    SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
           m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
           m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
    WHERE v.deployment_id = @DeploymentId
$q$),
('GatewaysQueryKey', $q$
    SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
    FROM orleans_membership
    WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
$q$),
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleans_membership
    WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status = 6
$q$);
