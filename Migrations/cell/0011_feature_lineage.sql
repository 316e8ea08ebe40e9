-- The feature store's second half: batch ingestion from datasets (with lineage), materialisation into the online
-- store, statistics per feature group version, feature services (saved feature lists) and the lineage of datasets
-- made as training sets.

-- Every offline row gets a write order: incremental materialisation resumes after the last one it applied, and the
-- newest of two rows with the same event time wins everywhere.
ALTER TABLE feature_rows ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX feature_rows_group_seq ON feature_rows (group_id, seq);

-- How far materialisation has loaded the offline store into the online store.
ALTER TABLE feature_groups
    ADD COLUMN materialized_seq bigint NOT NULL DEFAULT 0,
    ADD COLUMN materialized_at timestamptz;

-- Statistics of every value written under a version (the reference for drift detection), and when they were made.
ALTER TABLE feature_group_versions
    ADD COLUMN statistics jsonb CHECK (statistics IS NULL OR jsonb_typeof(statistics) = 'object'),
    ADD COLUMN statistics_at timestamptz,
    -- True once rows were written after the statistics were made (pushes); a refresh recomputes them.
    ADD COLUMN statistics_stale boolean NOT NULL DEFAULT false;

-- Lineage: which dataset versions fed a feature group, how many rows each gave, under which group version.
CREATE TABLE feature_group_ingestions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    group_id uuid NOT NULL,
    version integer NOT NULL,
    dataset_id uuid NOT NULL,
    dataset_version integer NOT NULL,
    row_count bigint NOT NULL CHECK (row_count >= 0),
    -- Rows left out: no entity key or event time.
    skipped_count bigint NOT NULL CHECK (skipped_count >= 0),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id, version) REFERENCES feature_group_versions (tenant_id, group_id, version) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, dataset_id, dataset_version) REFERENCES dataset_versions (tenant_id, dataset_id, version) ON DELETE CASCADE
);
CREATE INDEX feature_group_ingestions_group ON feature_group_ingestions (group_id, created_at DESC);
CREATE INDEX feature_group_ingestions_dataset ON feature_group_ingestions (dataset_id, dataset_version);

-- A saved list of features (`group:feature` or `group:*`), read online or joined into training sets by name.
CREATE TABLE feature_services (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(name) <= 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    features text[] NOT NULL CHECK (cardinality(features) BETWEEN 1 AND 200),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

-- Where a dataset version came from when the platform made it (a training set: the entity dataset, the features and
-- their groups' versions, the cut-off); null for uploads.
ALTER TABLE dataset_versions ADD COLUMN lineage jsonb CHECK (lineage IS NULL OR jsonb_typeof(lineage) = 'object');

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['feature_group_ingestions', 'feature_services']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
