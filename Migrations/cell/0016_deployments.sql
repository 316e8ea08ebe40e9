-- Model serving: a deployment is a stable name in a tenant (the prediction endpoint /v1/predict/<name>) with one or more
-- variants, each a registered model version with a traffic weight and a replica count; each replica is a
-- `serve.replica` job (0006), whose state and "ready at" event say where and whether it serves. Row-level security as
-- everywhere (0002).

CREATE TABLE deployments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    -- The endpoint's name: unique in the tenant, as /v1/predict/<name> carries no project.
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]*[a-z0-9]$' AND length(name) <= 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- 'active' serves; 'stopped' has had its replicas cancelled.
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE deployment_variants (
    tenant_id uuid NOT NULL,
    deployment_id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*$' AND length(name) <= 40),
    model_id uuid NOT NULL,
    version integer NOT NULL,
    -- Share of the traffic in percent; the variants' weights sum to 100.
    weight integer NOT NULL CHECK (weight BETWEEN 0 AND 100),
    replicas integer NOT NULL DEFAULT 1 CHECK (replicas BETWEEN 1 AND 16),
    cpu_millis integer NOT NULL DEFAULT 500 CHECK (cpu_millis BETWEEN 1 AND 1024000),
    memory_bytes bigint NOT NULL DEFAULT 268435456 CHECK (memory_bytes BETWEEN 0 AND 17592186044416),
    PRIMARY KEY (tenant_id, deployment_id, name),
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, model_id, version) REFERENCES model_versions (tenant_id, model_id, version)
);

CREATE TABLE deployment_replicas (
    tenant_id uuid NOT NULL,
    deployment_id uuid NOT NULL,
    variant text NOT NULL,
    job_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id),
    FOREIGN KEY (tenant_id, deployment_id, variant) REFERENCES deployment_variants (tenant_id, deployment_id, name) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id)
);
CREATE INDEX deployment_replicas_deployment ON deployment_replicas (tenant_id, deployment_id);

-- Every traffic configuration a deployment had, newest last: the weights per variant, why they changed and who
-- changed them (the rollout history; a rollback restores the one before).
CREATE TABLE deployment_revisions (
    tenant_id uuid NOT NULL,
    deployment_id uuid NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1),
    -- {"<variant>": weight, …}
    weights jsonb NOT NULL CHECK (jsonb_typeof(weights) = 'object'),
    reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, deployment_id, revision),
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['deployments', 'deployment_variants', 'deployment_replicas', 'deployment_revisions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
