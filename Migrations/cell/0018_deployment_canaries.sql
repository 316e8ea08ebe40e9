-- Canary rollouts of a deployment (0016): a candidate variant takes a growing share of the traffic in steps (10% →
-- 50% → 100%), each held for a baking time, while the serving controller watches the candidate's error rate and p99
-- latency in the prediction log (0017); past a guardrail it restores the traffic of the revision before the canary.
-- Every shift and rollback is also a traffic revision (deployment_revisions) and an audit event.
--
-- Row-level security as everywhere (0002). The controller finds running canaries across tenants: for that it sets
-- `app.scope = 'serving'` in its own read-only transactions, which a second policy on this table (and only this one,
-- for SELECT of running canaries only) honours. It then acts in each tenant's own transaction.

CREATE FUNCTION app_serving_scope() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT current_setting('app.scope', true) = 'serving' $$;

CREATE TABLE deployment_canaries (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL UNIQUE,
    deployment_id uuid NOT NULL,
    -- The variant rolled out, and the one whose traffic it takes (which gets the rest).
    candidate text NOT NULL,
    baseline text NOT NULL CHECK (baseline <> candidate),
    -- The candidate's share at each step, in percent, increasing; after the last step bakes, the candidate takes 100.
    steps integer[] NOT NULL CHECK (cardinality(steps) BETWEEN 1 AND 10 AND 0 < ALL (steps) AND 100 >= ALL (steps)),
    bake_seconds integer NOT NULL CHECK (bake_seconds BETWEEN 1 AND 86400),
    -- Guardrails over the candidate's answers in the current step: the share that failed (status 500 or above), and
    -- the 99th percentile latency (null: not watched); judged once min_requests answers are in.
    max_error_rate double precision NOT NULL CHECK (max_error_rate BETWEEN 0 AND 1),
    max_p99_ms double precision CHECK (max_p99_ms > 0),
    min_requests integer NOT NULL CHECK (min_requests BETWEEN 1 AND 1000000),
    -- The current step (1-based) and when it began.
    step integer NOT NULL DEFAULT 1 CHECK (step >= 1),
    step_started_at timestamptz NOT NULL DEFAULT now(),
    -- 'running'; 'completed' (the candidate took all traffic); 'rolled_back' (a guardrail tripped); 'aborted' (by
    -- hand: a rollback, a traffic change or a stop).
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'rolled_back', 'aborted')),
    reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    -- The traffic revision in force before the canary began: what a rollback restores.
    revision_before integer NOT NULL CHECK (revision_before >= 1),
    created_by text NOT NULL CHECK (length(created_by) <= 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE
);
-- At most one running canary per deployment.
CREATE UNIQUE INDEX deployment_canaries_running ON deployment_canaries (tenant_id, deployment_id) WHERE state = 'running';
CREATE INDEX deployment_canaries_history ON deployment_canaries (tenant_id, deployment_id, created_at);

ALTER TABLE deployment_canaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE deployment_canaries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deployment_canaries USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY serving_controller ON deployment_canaries FOR SELECT USING (app_serving_scope() AND state = 'running');
