-- One row per prediction request the gateway answered: which variant and model version answered, how (status and
-- latency) and what it predicted for the first row; feedback (the true label or a business outcome) is added to the
-- row later through POST /v1/feedback/<request id>. Per-variant statistics and A/B results read this table. Written in
-- batches a few times a second. Row-level security as everywhere (0002).

CREATE TABLE prediction_log (
    tenant_id uuid NOT NULL,
    request_id text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 100),
    deployment_id uuid NOT NULL,
    variant text NOT NULL,
    model_id uuid NOT NULL,
    version integer NOT NULL,
    status integer NOT NULL,
    latency_ms double precision NOT NULL CHECK (latency_ms >= 0),
    row_count integer NOT NULL CHECK (row_count >= 0),
    -- The first row's predicted label and value.
    label text CHECK (length(label) <= 200),
    value double precision,
    created_at timestamptz NOT NULL DEFAULT now(),
    feedback_label text CHECK (length(feedback_label) <= 200),
    feedback_value double precision,
    feedback_at timestamptz,
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX prediction_log_deployment ON prediction_log (tenant_id, deployment_id, created_at);

ALTER TABLE prediction_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE prediction_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON prediction_log USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
