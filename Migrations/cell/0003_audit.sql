-- The tamper-evident audit trail: one hash chain per tenant, append-only for the application role.
--
-- Each row's hash = SHA-256(prev_hash ‖ audit_canonical(row)); prev_hash is the hash of the tenant's previous row
-- (32 zero bytes for the first). The chain fields are filled by a trigger that locks the tenant's head row, so
-- concurrent appends queue up into one chain and no caller can choose its own hash.

CREATE TABLE audit_events (
    tenant_id uuid NOT NULL,
    sequence bigint NOT NULL CHECK (sequence > 0),
    occurred_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'operator', 'system')),
    -- A user id, key id, agent id or operator id: pseudonymous (no name or e-mail), so erasure leaves it in place.
    actor_id text CHECK (length(actor_id) <= 100),
    action text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$' AND length(action) <= 100),
    target text CHECK (length(target) <= 300),
    outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    source_ip text CHECK (length(source_ip) <= 100),
    request_id text CHECK (length(request_id) <= 100),
    region text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, sequence)
);
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at DESC);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, occurred_at DESC);

CREATE TABLE audit_chain_heads (
    tenant_id uuid PRIMARY KEY,
    sequence bigint NOT NULL,
    hash bytea NOT NULL CHECK (length(hash) = 32)
);

-- The canonical text of a row for hashing: a JSON array in a fixed order (jsonb's text form is deterministic).
CREATE FUNCTION audit_canonical(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(
        e.tenant_id::text, e.sequence, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        e.actor_kind, e.actor_id, e.action, e.target, e.outcome, e.source_ip, e.request_id, e.region, e.details
    )::text
$$;

CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain_heads;
BEGIN
    INSERT INTO audit_chain_heads (tenant_id, sequence, hash)
    VALUES (NEW.tenant_id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT (tenant_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
    NEW.sequence := head.sequence + 1;
    NEW.occurred_at := date_trunc('milliseconds', clock_timestamp());
    NEW.prev_hash := head.hash;
    NEW.hash := sha256(head.hash || convert_to(audit_canonical(NEW), 'UTF8'));
    UPDATE audit_chain_heads SET sequence = NEW.sequence, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_heads USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- Privileges: the application may add and read events, never change or remove them.
DO $$
DECLARE
    app text;
BEGIN
    FOR app IN SELECT grantee FROM information_schema.role_table_grants
               WHERE table_name = 'audit_events' AND privilege_type = 'DELETE' AND grantee <> current_user
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', app);
    END LOOP;
END
$$;
