-- API-key authentication in one statement. Every API request looks its key up; as a transaction (BEGIN, set_config,
-- SELECT, COMMIT) that was four round trips. This function sets the tenant for its own statements, reads the live key
-- with its member's role (and the custom role's permissions when it is one), and restores the previous setting, so
-- the application calls it in autocommit. It runs as the caller (not SECURITY DEFINER): row-level security applies
-- as everywhere, and the application role could set app.tenant_id itself anyway. Recording a key's use (once a
-- minute) stays a normal transaction.
CREATE FUNCTION api_key_lookup(p_tenant uuid, p_prefix text)
RETURNS TABLE (key_id uuid, user_id uuid, secret_hash bytea, permissions text[], role text, is_stale boolean,
               custom_role_name text, custom_role_permissions text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    previous text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT k.id, k.user_id, k.secret_hash, k.permissions, m.role,
               (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'),
               r.display_name, r.permissions
        FROM api_keys k
        JOIN memberships m ON m.user_id = k.user_id
        LEFT JOIN custom_roles r ON r.key = m.role
        WHERE k.prefix = p_prefix AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());
    PERFORM set_config('app.tenant_id', previous, true);
END
$$;
