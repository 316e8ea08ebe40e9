-- Sampled payload logging for monitoring: a deployment stores the inputs and outputs of a share of its prediction
-- requests (payload_sample_percent, 0 by default). Inputs that the project's feature catalog marks "sensitive" (0010's
-- features[].pii) are left out before anything is stored, and the stored row names what was left out. Rows expire
-- under the tenant's retention policy for the category "prediction_payloads" (0005; Residency.RetentionCategory),
-- which the retention service applies to this table's created_at. Row-level security as everywhere (0002).

ALTER TABLE deployments ADD COLUMN payload_sample_percent double precision NOT NULL DEFAULT 0
    CHECK (payload_sample_percent >= 0 AND payload_sample_percent <= 100);

CREATE TABLE prediction_payloads (
    tenant_id uuid NOT NULL,
    request_id text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 100),
    deployment_id uuid NOT NULL,
    variant text NOT NULL,
    status integer NOT NULL,
    -- The request's rows without the excluded inputs, and the answer as returned.
    request jsonb NOT NULL,
    response jsonb,
    excluded text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX prediction_payloads_recent ON prediction_payloads (tenant_id, deployment_id, created_at);

ALTER TABLE prediction_payloads ENABLE ROW LEVEL SECURITY;
ALTER TABLE prediction_payloads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON prediction_payloads USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
