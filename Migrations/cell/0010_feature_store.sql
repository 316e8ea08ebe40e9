-- The feature store: entities, feature groups with versioned schemas, the offline store (every row ever written, with
-- its event time) and the online store (the latest row per entity), plus idempotency records for pushes. Tenant data
-- like everything in a cell: tenant_id and row-level security (0002).

-- What features describe, e.g. `customer` keyed by `customer_id`.
CREATE TABLE entities (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(name) <= 60),
    -- The column that names an entity in rows and training sets.
    join_key text NOT NULL CHECK (join_key ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
    key_type text NOT NULL CHECK (key_type IN ('string', 'int')),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

-- A set of typed features of one entity, with catalog metadata. Its schema lives in its versions.
CREATE TABLE feature_groups (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    entity_id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(name) <= 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    owner text NOT NULL DEFAULT '' CHECK (length(owner) <= 200),
    tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
    -- Where the values come from (a system, a pipeline), for people.
    source text NOT NULL DEFAULT '' CHECK (length(source) <= 200),
    -- The column of pushed rows and uploaded files that holds each row's event time.
    event_time_column text NOT NULL DEFAULT 'event_time' CHECK (event_time_column ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
    -- How long a value stays valid after its event time (online reads and training sets ignore older ones); null: forever.
    ttl_seconds bigint CHECK (ttl_seconds > 0),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, entity_id) REFERENCES entities (tenant_id, id)
);

-- A feature group's schema: a change of features makes a new version; old versions stay readable.
CREATE TABLE feature_group_versions (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    -- [{"name", "type", "description", "pii": "none|personal|sensitive"}, …] in order.
    features jsonb NOT NULL CHECK (jsonb_typeof(features) = 'array'),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, group_id, version),
    FOREIGN KEY (tenant_id, group_id) REFERENCES feature_groups (tenant_id, id) ON DELETE CASCADE
);

-- The offline store: every row written, with the version it was written under and its event time.
CREATE TABLE feature_rows (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    version integer NOT NULL,
    entity_key text NOT NULL CHECK (length(entity_key) <= 500),
    event_time timestamptz NOT NULL,
    -- Feature name → value (JSON number, string, bool or null; timestamps as RFC 3339 strings).
    feature_values jsonb NOT NULL CHECK (jsonb_typeof(feature_values) = 'object'),
    -- 'push' or 'dataset:<dataset id>@<version>'.
    source text NOT NULL CHECK (length(source) <= 200),
    ingested_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, group_id, version) REFERENCES feature_group_versions (tenant_id, group_id, version) ON DELETE CASCADE
);
-- Point-in-time reads walk an entity's rows newest first.
CREATE INDEX feature_rows_entity_time ON feature_rows (group_id, entity_key, event_time DESC);

-- The online store: the latest row per entity (by event time; a late-arriving older row does not replace it).
CREATE TABLE online_features (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    entity_key text NOT NULL CHECK (length(entity_key) <= 500),
    version integer NOT NULL,
    event_time timestamptz NOT NULL,
    feature_values jsonb NOT NULL CHECK (jsonb_typeof(feature_values) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, group_id, entity_key),
    FOREIGN KEY (tenant_id, group_id) REFERENCES feature_groups (tenant_id, id) ON DELETE CASCADE
);

-- Pushes already applied, by the client's Idempotency-Key: a repeat with the same body is answered without writing
-- again; with another body it is refused.
CREATE TABLE feature_push_requests (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_sha256 text NOT NULL CHECK (request_sha256 ~ '^[0-9a-f]{64}$'),
    row_count integer NOT NULL CHECK (row_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, group_id, idempotency_key),
    FOREIGN KEY (tenant_id, group_id) REFERENCES feature_groups (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['entities', 'feature_groups', 'feature_group_versions', 'feature_rows', 'online_features',
                                'feature_push_requests']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
