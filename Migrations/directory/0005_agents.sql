-- Compute agents: join tokens that enrol nodes and the registry of enrolled nodes. Agents are infrastructure, not
-- tenant data: a row names a host, its hardware and its region. An agent may be dedicated to one tenant, in which
-- case it runs only that tenant's jobs. Only hashes of join tokens and agent credentials are stored.

CREATE TABLE agent_join_tokens (
    id uuid PRIMARY KEY,
    -- SHA-256 of the token (`fjn_…`).
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- The first characters of the token, shown in lists so a person can tell tokens apart.
    display_prefix text NOT NULL CHECK (length(display_prefix) <= 16),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    region_id text NOT NULL REFERENCES regions (id),
    -- Agents enrolled with this token run only this tenant's jobs; NULL = shared by every tenant of the region.
    dedicated_tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    -- Labels every agent enrolled with the token gets (string → string).
    labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    max_uses integer NOT NULL CHECK (max_uses BETWEEN 1 AND 100000),
    uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    expires_at timestamptz NOT NULL,
    -- Who made it: 'operator:<uuid>' or 'user:<uuid>' (a tenant admin; pseudonymous id).
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX agent_join_tokens_tenant ON agent_join_tokens (dedicated_tenant_id, created_at);

CREATE TABLE agents (
    id uuid PRIMARY KEY,
    region_id text NOT NULL REFERENCES regions (id),
    dedicated_tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    join_token_id uuid REFERENCES agent_join_tokens (id) ON DELETE SET NULL,
    hostname text NOT NULL CHECK (length(hostname) BETWEEN 1 AND 255),
    operating_system text NOT NULL CHECK (length(operating_system) <= 200),
    cpu_model text NOT NULL CHECK (length(cpu_model) <= 200),
    cpu_cores integer NOT NULL CHECK (cpu_cores BETWEEN 1 AND 4096),
    memory_bytes bigint NOT NULL CHECK (memory_bytes >= 0),
    disk_bytes bigint NOT NULL CHECK (disk_bytes >= 0),
    -- [{index, uuid, name, memoryBytes, driverVersion}] from nvidia-smi.
    gpus jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(gpus) = 'array'),
    labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    agent_version text NOT NULL CHECK (length(agent_version) <= 60),
    -- Where other gang members reach it (MASTER_ADDR).
    address text NOT NULL CHECK (length(address) <= 255),
    -- ready: leases work; draining: finishes its jobs, leases nothing; lost: missed heartbeats past the grace
    -- period (comes back to ready when it heartbeats again); revoked: refused for good. "Busy" is derived from leases.
    status text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'draining', 'lost', 'revoked')),
    -- The current credential (SHA-256 of `fag_…`) and the one before it, accepted until it expires so a renewal whose
    -- answer was lost does not lock the agent out.
    credential_hash bytea NOT NULL UNIQUE CHECK (length(credential_hash) = 32),
    credential_expires_at timestamptz NOT NULL,
    previous_credential_hash bytea UNIQUE CHECK (length(previous_credential_hash) = 32),
    previous_credential_expires_at timestamptz,
    -- Last reported free resources and utilisation.
    free_cpu_millis integer NOT NULL DEFAULT 0,
    free_memory_bytes bigint NOT NULL DEFAULT 0,
    free_gpus integer NOT NULL DEFAULT 0,
    cpu_percent double precision NOT NULL DEFAULT 0,
    memory_used_bytes bigint NOT NULL DEFAULT 0,
    gpu_percent double precision,
    running_jobs integer NOT NULL DEFAULT 0,
    heartbeat_interval_seconds integer NOT NULL CHECK (heartbeat_interval_seconds BETWEEN 1 AND 3600),
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_region ON agents (region_id, status);
CREATE INDEX agents_tenant ON agents (dedicated_tenant_id) WHERE dedicated_tenant_id IS NOT NULL;
CREATE INDEX agents_last_seen ON agents (last_seen_at) WHERE status IN ('ready', 'draining');
