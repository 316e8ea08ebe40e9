-- The identity of this cell database: which region it serves. Exactly one row, written when the cell is set up;
-- the cell router checks it so a misconfigured connection string cannot send a tenant's data to the wrong region.
CREATE TABLE cell_identity (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    region_id text NOT NULL CHECK (region_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
