-- A drain outlives a lost spell: the request is kept apart from the status, so an agent that was draining when it
-- went silent comes back as draining (not ready) when it heartbeats again.
ALTER TABLE agents ADD COLUMN drain_requested_at timestamptz;
UPDATE agents SET drain_requested_at = status_changed_at WHERE status = 'draining';
