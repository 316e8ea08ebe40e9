-- Tenancy in a cell: people, memberships, custom roles, sessions, API keys, invitations, MFA, security settings
-- and the outbox. Every table carries tenant_id and is guarded by row-level security on app.tenant_id, which each
-- request's transaction sets with set_config(..., true). FORCE applies the policies to the table owner too.

-- The tenant set for this transaction, or NULL when none is set (then every policy hides every row).
CREATE FUNCTION app_tenant_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenant_settings (
    tenant_id uuid PRIMARY KEY,
    session_idle_minutes integer NOT NULL DEFAULT 480 CHECK (session_idle_minutes BETWEEN 5 AND 43200),
    session_absolute_hours integer NOT NULL DEFAULT 168 CHECK (session_absolute_hours BETWEEN 1 AND 2160),
    require_mfa_for_admins boolean NOT NULL DEFAULT false,
    -- Invitations are limited to these e-mail domains when the list is not empty.
    allowed_email_domains text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    -- AES-256-GCM sealed TOTP secret (nonce ‖ ciphertext ‖ tag); NULL until enrolment is confirmed.
    mfa_secret bytea,
    -- Enrolment in progress: the sealed secret shown to the user, not yet confirmed with a code.
    mfa_pending_secret bytea,
    -- The last TOTP time step accepted, so a code cannot be used twice.
    mfa_last_step bigint,
    -- An admin asked this member to enrol MFA before doing anything else.
    mfa_required boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);

CREATE TABLE mfa_recovery_codes (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at timestamptz,
    PRIMARY KEY (tenant_id, user_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Roles an enterprise tenant defines as sets of permissions; built-in roles live in code (Tenancy.BuiltInRole).
CREATE TABLE custom_roles (
    tenant_id uuid NOT NULL,
    key text NOT NULL CHECK (key ~ '^custom-[a-z0-9-]{1,40}$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    permissions text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    -- A built-in role name (owner, admin, …) or a custom role key.
    role text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    -- SHA-256 of the 256-bit token in the cookie; the token itself is never stored.
    token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    user_id uuid NOT NULL,
    -- false until the second factor is checked when the user has MFA.
    is_mfa_verified boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    client_address text,
    user_agent text CHECK (length(user_agent) <= 300),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE api_keys (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The public part shown in lists (falaj_<prefix>_…), also routed by the directory's api_key_routes.
    prefix text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{12}$'),
    secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
    permissions text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE invitations (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role text NOT NULL,
    token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    invited_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);

-- Messages waiting for delivery (invitations now; alerts later). A sender marks them sent.
CREATE TABLE outbox (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    kind text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['tenant_settings', 'users', 'mfa_recovery_codes', 'custom_roles', 'memberships',
                                'sessions', 'api_keys', 'invitations', 'outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) '
                       'WITH CHECK (tenant_id = app_tenant_id())', name);
    END LOOP;
END
$$;
