-- Keeps every control-plane process's cache of authenticated API keys (Tenancy.APIKeyCache) correct: a change to a
-- tenant (suspension, erasure, plan, name) or the removal of a key's route notifies `falaj_auth` with the tenant's id
-- at commit; each process's listener then drops that tenant's cached keys.
CREATE FUNCTION notify_tenant_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('falaj_auth', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION notify_key_route_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('falaj_auth', OLD.tenant_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_auth_change AFTER UPDATE OR DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION notify_tenant_auth_change();
CREATE TRIGGER api_key_routes_auth_change AFTER UPDATE OR DELETE ON api_key_routes
    FOR EACH ROW EXECUTE FUNCTION notify_key_route_auth_change();
