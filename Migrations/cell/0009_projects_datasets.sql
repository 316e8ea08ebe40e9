-- Projects and datasets (the feature store's first layer). Everything ML-related belongs to a project of a tenant. A
-- dataset is a named table in a project; every upload (or training set) makes a new version, immutable once it
-- exists: its rows live as an encrypted CSV blob in the tenant's home region (normalised: header plus the accepted rows
-- in canonical form), described here by its schema, counts, checksum, statistics per column, a preview and the
-- rows that were rejected. A version row is inserted only after its blob is completely stored, so a failed or
-- cancelled upload leaves nothing visible. Row-level security as everywhere (0002).

CREATE TABLE projects (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    -- The project's name in URLs: 2–40 lower-case letters, digits and inner hyphens.
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*[a-z0-9]$' AND length(slug) <= 40),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- 'user:<uuid>' or 'api_key:<uuid>'.
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE datasets (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    project_id uuid NOT NULL,
    -- Same shape as a project slug; unique within the project.
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(name) <= 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, project_id, name),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE dataset_versions (
    tenant_id uuid NOT NULL,
    dataset_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    -- How the rows arrived: an uploaded CSV or JSON-lines file.
    source_format text NOT NULL CHECK (source_format IN ('csv', 'jsonl')),
    -- The uploaded file's name as the client gave it (informational).
    source_name text NOT NULL DEFAULT '' CHECK (length(source_name) <= 255),
    -- [{"name": …, "type": "int|float|bool|string|timestamp|category"}, …] in column order.
    columns jsonb NOT NULL CHECK (jsonb_typeof(columns) = 'array'),
    row_count bigint NOT NULL CHECK (row_count >= 0),
    -- Rows of the upload that were skipped (on_error = skip); their first reasons are in `rejections`.
    rejected_count bigint NOT NULL DEFAULT 0 CHECK (rejected_count >= 0),
    -- Bytes of the uploaded file, and of the stored normalised CSV with its SHA-256 (hex).
    uploaded_bytes bigint NOT NULL CHECK (uploaded_bytes >= 0),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    blob_name text NOT NULL CHECK (length(blob_name) <= 500),
    -- Per-column statistics (Tabular's ColumnStatistics), the first rows, the first rejected rows with reasons.
    statistics jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(statistics) = 'array'),
    preview jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(preview) = 'array'),
    rejections jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rejections) = 'array'),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, dataset_id, version),
    FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['projects', 'datasets', 'dataset_versions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
