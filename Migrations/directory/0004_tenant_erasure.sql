-- Tenant erasure leaves a tombstone in the directory: id, slug and home region stay (so the slug is never reused and
-- the audit trail in the cell still names a known tenant); the name is replaced and erased_at records completion.
ALTER TABLE tenants ADD COLUMN erased_at timestamptz;
