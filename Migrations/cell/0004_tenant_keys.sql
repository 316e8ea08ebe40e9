-- Envelope encryption: each tenant's data-encryption keys (DEKs), wrapped by the region's key-encryption key (KEK).
--
-- wrapped_key = AES-256-GCM(KEK, DEK) as nonce ‖ ciphertext ‖ tag, with the tenant id and key id as additional
-- data; the KEK itself never reaches the database. kek_id names the KEK that wrapped it (first 8 bytes of the KEK's
-- SHA-256, hex) so several KEKs can coexist during rotation. Crypto-shredding sets wrapped_key to NULL and
-- destroyed_at: every blob encrypted under the key is then unreadable for good.

CREATE TABLE tenant_data_keys (
    tenant_id uuid NOT NULL,
    key_id uuid NOT NULL,
    wrapped_key bytea CHECK (wrapped_key IS NULL OR length(wrapped_key) = 60),
    kek_id text NOT NULL CHECK (kek_id ~ '^[0-9a-f]{16}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set when a newer key replaced it for new objects; it still decrypts older objects.
    retired_at timestamptz,
    destroyed_at timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL)),
    PRIMARY KEY (tenant_id, key_id)
);

-- At most one current key per tenant, so two first uses at once cannot both create one.
CREATE UNIQUE INDEX tenant_data_keys_current ON tenant_data_keys (tenant_id) WHERE retired_at IS NULL AND destroyed_at IS NULL;

ALTER TABLE tenant_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_data_keys USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
