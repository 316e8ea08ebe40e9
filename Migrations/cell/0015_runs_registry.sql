-- Experiments, runs, their working files and the model registry. A run is a training job (jobs, 0006) with what the tracking needs on top:
-- its project and experiment, inputs, parameters, tags and the code it ran; its status, metric series (job_events),
-- logs, artifacts and resource usage are the job's. Registered models hold immutable versions (a copy of the model
-- file in the tenant's blob store, with lineage and signature), aliases that point at versions, and promotion
-- requests that record every gate decision, approval and rejection. Row-level security as everywhere (0002).

CREATE TABLE experiments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

-- Working files for custom runs: a gzipped tar archive uploaded once, stored encrypted in the tenant's blob store
-- and unpacked into the work folder of every run that names it.
CREATE TABLE code_bundles (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    blob_name text NOT NULL CHECK (length(blob_name) <= 500),
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE runs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    experiment_id uuid NOT NULL,
    -- 1, 2, … per project, for names people say ("run 12").
    number integer NOT NULL CHECK (number >= 1),
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- 'builtin' (a Learning trainer on an agent) or 'command' (the user's own program).
    kind text NOT NULL CHECK (kind IN ('builtin', 'command')),
    job_id uuid NOT NULL,
    -- {"dataset": {"name", "version", "sha256"}} or {"training_set": {...}}: what it learned from.
    inputs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(inputs) = 'object'),
    -- Name → value (text), set at start and logged by the job.
    params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
    tags jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object'),
    -- The command (custom runs) or the trainer spec (built-in runs).
    code jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(code) = 'object'),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, number),
    UNIQUE (tenant_id, job_id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id)
);
CREATE INDEX runs_experiment ON runs (tenant_id, experiment_id, number DESC);

CREATE TABLE registered_models (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(name) <= 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- Promotion gates: {"metrics": [{"metric", "min"?, "max"?, "max_regression"?}], "require_approval", "compliance"}.
    gates jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(gates) = 'object'),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE model_versions (
    tenant_id uuid NOT NULL,
    model_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    -- The run it came from (nil for an upload); a plain reference, so lineage survives the run's deletion.
    run_id uuid,
    -- The copy of the model file in the tenant's blob store, its size and SHA-256.
    blob_name text NOT NULL CHECK (length(blob_name) <= 500),
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- 'falaj-model' (Learning's format, served by the built-in executor) or 'custom'.
    format text NOT NULL CHECK (format IN ('falaj-model', 'custom')),
    -- {"inputs": [{"name", "type"}], "output": {"type", "classes"?}}.
    signature jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(signature) = 'object'),
    -- Final metrics by name.
    metrics jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    -- {"run": {…}, "job": …, "datasets": [...], "feature_groups": [...], "code": {...}}.
    lineage jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(lineage) = 'object'),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    registered_by text NOT NULL CHECK (length(registered_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, model_id, version),
    FOREIGN KEY (tenant_id, model_id) REFERENCES registered_models (tenant_id, id) ON DELETE CASCADE
);

-- A version never changes once registered; only deleting the whole model (or the tenant) removes it.
CREATE FUNCTION model_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'model versions are immutable' USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions FOR EACH ROW EXECUTE FUNCTION model_versions_immutable();

CREATE TABLE model_aliases (
    tenant_id uuid NOT NULL,
    model_id uuid NOT NULL,
    alias text NOT NULL CHECK (alias ~ '^[a-z][a-z0-9_-]*$' AND length(alias) <= 40),
    version integer NOT NULL,
    updated_by text NOT NULL CHECK (length(updated_by) <= 80),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, model_id, alias),
    FOREIGN KEY (tenant_id, model_id, version) REFERENCES model_versions (tenant_id, model_id, version) ON DELETE CASCADE
);

CREATE TABLE model_promotions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    model_id uuid NOT NULL,
    version integer NOT NULL,
    alias text NOT NULL,
    -- pending: waits for a reviewer; applied: the alias moved; blocked: a gate failed; rejected: a reviewer said no;
    -- superseded: another promotion of the alias was applied first.
    state text NOT NULL CHECK (state IN ('pending', 'applied', 'blocked', 'rejected', 'superseded')),
    -- The version the alias pointed at when the request was made (nil: the alias was new).
    previous_version integer,
    -- Each gate with its outcome: [{"gate", "passed", "detail"}].
    gate_results jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(gate_results) = 'array'),
    reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    requested_by text NOT NULL CHECK (length(requested_by) <= 80),
    -- The requesting user (nil for a key without one), so they can never approve their own request.
    requested_by_user uuid,
    decided_by text CHECK (length(decided_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, model_id, version) REFERENCES model_versions (tenant_id, model_id, version) ON DELETE CASCADE
);
CREATE INDEX model_promotions_model ON model_promotions (tenant_id, model_id, created_at DESC);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['code_bundles', 'experiments', 'runs', 'registered_models', 'model_versions', 'model_aliases', 'model_promotions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
