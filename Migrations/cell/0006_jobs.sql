-- The job queue of a cell: every job lives in its tenant's home cell, like all tenant data. Tables carry tenant_id
-- and row-level security on app.tenant_id, like 0002. The scheduler leases across tenants: for that it sets
-- `app.scope = 'dispatch'` in its own transactions, which a second policy on these tables (and only these) honours.
-- No other code path sets that scope; IsolationTests prove that without it no row of another tenant is visible.

CREATE FUNCTION app_dispatch_scope() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT current_setting('app.scope', true) = 'dispatch' $$;

CREATE TABLE jobs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(kind) <= 60),
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    spec jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(spec) = 'object'),
    cpu_millis integer NOT NULL CHECK (cpu_millis BETWEEN 1 AND 1024000),
    memory_bytes bigint NOT NULL CHECK (memory_bytes BETWEEN 0 AND 17592186044416),
    gpus integer NOT NULL DEFAULT 0 CHECK (gpus BETWEEN 0 AND 64),
    gpu_type text CHECK (length(gpu_type) <= 60),
    nodes integer NOT NULL DEFAULT 1 CHECK (nodes BETWEEN 1 AND 64),
    -- Labels an agent must carry (string → string), e.g. {"pool": "batch"}.
    node_selector jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(node_selector) = 'object'),
    priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
    -- Fair share: the job's position in its tenant's queue when submitted (1 + the highest fair_seq of the tenant's
    -- queued jobs). Dispatch orders by priority, then fair_seq, so tenants take turns.
    fair_seq bigint NOT NULL CHECK (fair_seq >= 1),
    -- Regions the tenant's residency policy allows this job to run in (Residency's placement function at submission).
    allowed_regions text[] NOT NULL CHECK (cardinality(allowed_regions) >= 1),
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled')),
    attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
    timeout_seconds integer NOT NULL DEFAULT 3600 CHECK (timeout_seconds BETWEEN 1 AND 604800),
    lease_expires_at timestamptz,
    -- Why a queued job is not running yet, or why the last attempt ended (shown on the job).
    placement_note text NOT NULL DEFAULT '' CHECK (length(placement_note) <= 1000),
    exit_code integer,
    message text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    cancel_requested_at timestamptz,
    -- 'user:<uuid>', 'api_key:<uuid>' or 'system'.
    submitted_by text NOT NULL CHECK (length(submitted_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_dispatch ON jobs (priority DESC, fair_seq, created_at) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state IN ('leased', 'running');
CREATE INDEX jobs_tenant_recent ON jobs (tenant_id, created_at DESC);
CREATE INDEX jobs_tenant_queued ON jobs (tenant_id, fair_seq) WHERE state = 'queued';

-- One row per attempt and gang rank: which agent ran it, the hash of its job-scoped token, and how it ended.
CREATE TABLE job_attempts (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    attempt integer NOT NULL CHECK (attempt >= 1),
    node_rank integer NOT NULL DEFAULT 0 CHECK (node_rank >= 0),
    agent_id uuid NOT NULL,
    agent_region text NOT NULL,
    agent_address text NOT NULL DEFAULT '',
    gpu_indices integer[] NOT NULL DEFAULT '{}',
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- assigned: reserved for the agent (a gang member not yet picked up); delivered: in the agent's hands;
    -- started: its process runs; then how it ended. released: the gang was released or the lease expired.
    state text NOT NULL DEFAULT 'assigned' CHECK (state IN ('assigned', 'delivered', 'started', 'succeeded', 'failed', 'cancelled', 'released')),
    exit_code integer,
    message text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    cpu_seconds double precision,
    peak_memory_bytes bigint,
    wall_seconds double precision,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, job_id, attempt, node_rank),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX job_attempts_agent ON job_attempts (agent_id, state) WHERE state IN ('assigned', 'delivered', 'started');

-- Ordered log chunks per attempt and rank; a retried chunk (same seq) is stored once.
CREATE TABLE job_log_chunks (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    attempt integer NOT NULL,
    node_rank integer NOT NULL DEFAULT 0,
    seq integer NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL CHECK (length(data) <= 1048576),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, attempt, node_rank, seq),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE
);

-- Status, progress and metric events.
CREATE TABLE job_events (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    attempt integer NOT NULL,
    node_rank integer NOT NULL DEFAULT 0,
    kind text NOT NULL CHECK (kind IN ('started', 'status', 'progress', 'metric')),
    name text CHECK (length(name) <= 200),
    step integer,
    value double precision,
    message text CHECK (length(message) <= 2000),
    event_time timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE
);

-- Files a job produced, stored encrypted in the tenant's blob store (key = blob_name under the tenant).
CREATE TABLE job_artifacts (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    attempt integer NOT NULL,
    path text NOT NULL CHECK (length(path) BETWEEN 1 AND 500),
    blob_name text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, path),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['jobs', 'job_attempts', 'job_log_chunks', 'job_events', 'job_artifacts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
    -- The dispatcher reads and updates jobs and their attempts across tenants (leases, expiry, gangs).
    FOREACH name IN ARRAY ARRAY['jobs', 'job_attempts']
    LOOP
        EXECUTE format('CREATE POLICY dispatch ON %I USING (app_dispatch_scope()) WITH CHECK (app_dispatch_scope())', name);
    END LOOP;
END
$$;
