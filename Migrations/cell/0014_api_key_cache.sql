-- Keeps every control-plane process's cache of authenticated API keys (Tenancy.APIKeyCache) correct. Any change
-- that can make a cached key wrong — the key revoked, its expiry or permissions changed, the key or its member
-- deleted, the member's role changed, a custom role edited or removed — notifies `falaj_auth` with the tenant's id
-- at commit, whichever code path made it; each process's listener then drops that tenant's keys. Recording a key's
-- use (last_used_at) is not such a change and notifies nothing.
CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('falaj_auth', NEW.tenant_id::text);
    ELSE
        PERFORM pg_notify('falaj_auth', OLD.tenant_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_auth_change AFTER UPDATE OF revoked_at, expires_at, permissions, user_id, secret_hash, prefix OR DELETE
    ON api_keys FOR EACH ROW EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER memberships_auth_change AFTER INSERT OR UPDATE OR DELETE
    ON memberships FOR EACH ROW EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER custom_roles_auth_change AFTER INSERT OR UPDATE OR DELETE
    ON custom_roles FOR EACH ROW EXECUTE FUNCTION notify_auth_change();

-- The lookup now also answers the key's expiry, so a cached key stops working the moment it expires.
DROP FUNCTION api_key_lookup(uuid, text);
CREATE FUNCTION api_key_lookup(p_tenant uuid, p_prefix text)
RETURNS TABLE (key_id uuid, user_id uuid, secret_hash bytea, permissions text[], role text, is_stale boolean,
               custom_role_name text, custom_role_permissions text[], expires_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    previous text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT k.id, k.user_id, k.secret_hash, k.permissions, m.role,
               (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'),
               r.display_name, r.permissions, k.expires_at
        FROM api_keys k
        JOIN memberships m ON m.user_id = k.user_id
        LEFT JOIN custom_roles r ON r.key = m.role
        WHERE k.prefix = p_prefix AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());
    PERFORM set_config('app.tenant_id', previous, true);
END
$$;
