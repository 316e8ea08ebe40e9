-- Data-subject rights (GDPR Art. 15/17/20, UAE PDPL) and retention: export and erasure requests worked through by
-- the background runner as resumable named steps, the sealed exports they produce, and per-tenant retention policies.
-- Every table carries tenant_id and is guarded by row-level security on app.tenant_id, like 0002.

CREATE TABLE data_subject_requests (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('export', 'erasure')),
    -- The person the request is about; NULL means the whole tenant (tenant erasure).
    subject_user_id uuid,
    -- The member who asked (pseudonymous id); NULL for an operator or the system.
    requested_by uuid,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- The last step that completed; the runner resumes after it.
    step text NOT NULL DEFAULT 'requested' CHECK (length(step) <= 60),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Why the last attempt failed (an operator-facing sentence, never personal data).
    error text CHECK (length(error) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When the current attempt was claimed; a running request older than the lease is claimed again.
    claimed_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK (kind = 'erasure' OR subject_user_id IS NOT NULL)
);
CREATE INDEX data_subject_requests_open ON data_subject_requests (tenant_id, status, created_at) WHERE status IN ('queued', 'running');

-- A finished export: the JSON sealed with AES-256-GCM under a random per-export key; that key is stored sealed under
-- the installation's export key (derived from the master secret). Both are cleared when the export is downloaded or
-- expires, which destroys the export even if a backup kept the ciphertext.
CREATE TABLE data_exports (
    tenant_id uuid NOT NULL,
    request_id uuid NOT NULL,
    sealed bytea,
    wrapped_key bytea,
    size_bytes integer NOT NULL CHECK (size_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    downloaded_at timestamptz,
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES data_subject_requests (tenant_id, id) ON DELETE CASCADE,
    CHECK ((sealed IS NULL) = (wrapped_key IS NULL))
);

-- How long a tenant keeps each category of data; a category without a row uses the default in code
-- (Residency.RetentionCategory).
CREATE TABLE retention_policies (
    tenant_id uuid NOT NULL,
    category text NOT NULL CHECK (category ~ '^[a-z_]{1,40}$'),
    days integer NOT NULL CHECK (days BETWEEN 1 AND 3650),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, category)
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['data_subject_requests', 'data_exports', 'retention_policies']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
