-- Residency: where each region keeps its blobs, and each tenant's placement policy.
-- Both live in the global directory: they hold no personal data, only region ids and flags.

-- Where the region's blob store lives, e.g. 'file:/var/lib/falaj/blobs/me-central-1' or 's3://falaj-me-central-1'.
-- Informational (shown to tenants and operators); the blob store itself is configured at start-up.
ALTER TABLE regions ADD COLUMN blob_store text CHECK (blob_store IS NULL OR length(blob_store) BETWEEN 1 AND 500);

-- A tenant's residency policy. No row means the default: process only in the home region, no cross-border transfer.
-- The home region itself is tenants.home_region and is never changed here.
CREATE TABLE tenant_residency_policies (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- Regions besides home where the tenant's jobs and replicas may run; '{}' means the home region only.
    allowed_processing_regions text[] NOT NULL DEFAULT '{}' CHECK (cardinality(allowed_processing_regions) <= 20),
    -- Whether data may leave the home region's jurisdiction at all.
    is_cross_border_transfer_allowed boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
