-- The region catalog: every region (cell) this installation can place tenants in.
-- Lives in the global directory database, so it holds no personal data.
CREATE TABLE regions (
    -- A stable, lower-case slug such as 'me-central-1' or 'eu-west-1'; it names the cell database too.
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(id) <= 40),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- ISO 3166-1 alpha-2 code of the country the data is stored in.
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    -- The legal regime residency policies refer to, such as 'AE' or 'EU'.
    jurisdiction text NOT NULL CHECK (length(jurisdiction) BETWEEN 1 AND 40),
    -- planned: not yet open; active: accepts new tenants; draining: serves existing tenants only; retired: closed.
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'active', 'draining', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now()
);
