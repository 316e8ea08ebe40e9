-- Rollouts inside a deployment (0016): a variant moves to another model version by starting replicas of the new
-- version next to the old ones (deployment_replicas.version), switching once every new replica serves, and retiring
-- the old replicas, which keep running for a drain period (in-flight predictions finish) before their jobs are
-- cancelled. A variant can also be added to a running deployment (with no traffic until it is given some).
--
-- The serving controller (0018's 'serving' scope) finds variants mid-rollout and retired replicas still to drain
-- across tenants through SELECT-only policies that show nothing else; it acts in each tenant's own transaction.

ALTER TABLE deployment_variants ADD COLUMN rollout_version integer CHECK (rollout_version >= 1);
ALTER TABLE deployment_variants ADD FOREIGN KEY (tenant_id, model_id, rollout_version) REFERENCES model_versions (tenant_id, model_id, version);

-- The model version a replica serves (null on replicas made before this migration: the variant's version then).
ALTER TABLE deployment_replicas ADD COLUMN version integer CHECK (version >= 1);
-- When the replica left the rotation, and when its job was cancelled after the drain period.
ALTER TABLE deployment_replicas ADD COLUMN retired_at timestamptz;
ALTER TABLE deployment_replicas ADD COLUMN drained_at timestamptz CHECK (drained_at IS NULL OR retired_at IS NOT NULL);

CREATE POLICY serving_controller ON deployment_variants FOR SELECT USING (app_serving_scope() AND rollout_version IS NOT NULL);
CREATE POLICY serving_controller ON deployment_replicas FOR SELECT USING (app_serving_scope() AND retired_at IS NOT NULL AND drained_at IS NULL);

-- Shadow variants: a variant that takes no traffic of its own but gets a copy of every prediction request; its answers
-- are logged (prediction_log.shadow_of names the request it copied, whose feedback it shares), never returned.
ALTER TABLE deployment_variants ADD COLUMN shadow boolean NOT NULL DEFAULT false;
ALTER TABLE deployment_variants ADD CHECK (NOT shadow OR weight = 0);
ALTER TABLE prediction_log ADD COLUMN shadow_of text CHECK (length(shadow_of) <= 100);
CREATE INDEX prediction_log_shadow_of ON prediction_log (tenant_id, shadow_of) WHERE shadow_of IS NOT NULL;
