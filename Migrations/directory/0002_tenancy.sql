-- Tenancy in the global directory: which tenants exist, where they live, how logins are routed, and the platform's
-- operator accounts. No tenant's personal data lives here: login routing uses an HMAC of the lower-cased e-mail.

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    -- URL-safe, unique name chosen at sign-up (derived from the organisation name).
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 40),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- The cell that holds all of this tenant's data; fixed after creation.
    home_region text NOT NULL REFERENCES regions (id),
    plan text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'team', 'enterprise')),
    -- provisioning: sign-up is creating the owner in the cell (a stale one is cleaned up by the next sign-up).
    status text NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting')),
    created_at timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_status ON tenants (status, created_at);

-- Login routing: which tenants have an account for an e-mail address, keyed by HMAC-SHA256(server key, lower(e-mail)).
CREATE TABLE login_routes (
    email_hmac bytea NOT NULL CHECK (length(email_hmac) = 32),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email_hmac, tenant_id)
);
CREATE INDEX login_routes_tenant ON login_routes (tenant_id);

-- API key routing: the public prefix of a key names its tenant, so a bearer token finds its cell.
CREATE TABLE api_key_routes (
    prefix text PRIMARY KEY CHECK (prefix ~ '^[a-z0-9]{12}$'),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX api_key_routes_tenant ON api_key_routes (tenant_id);

-- Failed sign-in counters per account (key = HMAC of the e-mail) and per client address (key = HMAC of the IP).
CREATE TABLE login_throttle (
    key bytea PRIMARY KEY CHECK (length(key) = 32),
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    -- No attempt is checked before this time (increasing delays, then a lock-out).
    blocked_until timestamptz NOT NULL DEFAULT now()
);

-- Platform operators: staff who run the installation. They manage tenants but cannot read tenant data.
CREATE TABLE operators (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

CREATE TABLE operator_sessions (
    id uuid PRIMARY KEY,
    -- SHA-256 of the random session token; the token itself is only in the operator's cookie.
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    operator_id uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
