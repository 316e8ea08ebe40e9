-- The foreign key from job_attempts to jobs names the job by its id alone (unique on its own) instead of
-- (tenant_id, id). Postgres checks it on every attempt insert with a plan it keeps per connection; with (tenant_id, id)
-- a plan made while the queue was nearly empty may pick the (tenant_id, created_at) index and then read every job of
-- the tenant per check once the queue is long. With id alone only the unique id index can serve it. The attempt's
-- tenant_id still comes from the job row (the dispatcher copies it) and row-level security still guards it.
ALTER TABLE job_attempts DROP CONSTRAINT job_attempts_tenant_id_job_id_fkey;
ALTER TABLE job_attempts ADD CONSTRAINT job_attempts_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;

-- One lease look in one statement. Until now a lease took a transaction of five round trips (BEGIN, settings, the
-- candidate query, the attempt insert, COMMIT), each planned anew; the dispatcher now calls this function once, in
-- autocommit, and its statements are planned once per connection (PL/pgSQL caches them).
--
-- It walks the queue the way the dispatcher always has: queued, not cancelled jobs whose allowed regions include the
-- agent's, whose node selector the agent's labels satisfy, of the agent's tenant only when the agent is dedicated,
-- whose GPU type one of the agent's GPUs matches; by priority, then fair_seq (fair share), then age;
-- FOR UPDATE SKIP LOCKED, so concurrent agents never get the same job. Each job whose one-node share fits what is
-- still free is chosen, and the chosen jobs are leased together in one statement: each moves to `leased` with a new
-- attempt, and a `delivered` attempt row holds the token hash the caller made for it (token_hashes[n], in hex, for the
-- n-th job chosen) and the GPU indices given to it (the first free ones, in order).
--
-- Gangs stay in the caller's hands, because forming one needs the directory's agent list:
--   * outcome 'assignments': the agent holds gang ranks reserved for it (when look_for_assignments); nothing else was
--     done. The caller delivers them, then calls again with look_for_assignments false.
--   * outcome 'gang': the next job that fits needs several nodes; the rows before it were leased (outcome 'leased').
--     The caller tries to form the gang, then calls again with that job in skip_job_ids.
--
-- app.scope = 'dispatch' (the row-level security policy of 0006) holds inside this function only: it is set on entry
-- and put back as it was before the function returns (an error aborts the whole transaction anyway).
--
-- The function's statements keep their plans for the life of a connection, so those plans must not depend on the
-- statistics of a queue table, which are often stale (it fills and drains between analyses; a plan made while the
-- table was nearly empty would otherwise scan it whole once it is long). enable_sort = off keeps the walk on the
-- jobs_dispatch index; enable_seqscan = off keeps every lookup by id on an index; the jobs row is found by id alone
-- (unique), where no other index can compete. plan_cache_mode = force_generic_plan plans each statement once per
-- connection: left to choose, Postgres would plan the candidate query anew on every call (its LIMIT varies), which
-- costs more than running it. jit = off: a statement that must sort anyway would carry enable_sort's huge cost
-- penalty past the JIT thresholds and be compiled on every call (hundreds of milliseconds); nothing here gains from
-- JIT. Leased rows come back in no particular order (token_index tells which token each got). The SET clauses are
-- undone on return.
CREATE FUNCTION lease_queued_jobs(
    p_agent_id uuid,
    p_agent_region text,
    p_agent_address text,
    p_agent_labels jsonb,
    p_dedicated_tenant_id uuid,
    p_agent_gpu_names text[],
    p_free_cpu_millis integer,
    p_free_memory_bytes bigint,
    p_free_gpu_indices integer[],
    p_max_jobs integer,
    p_lease_seconds double precision,
    p_token_hashes text[],
    p_skip_job_ids uuid[],
    p_look_for_assignments boolean
) RETURNS TABLE (
    outcome text,
    tenant_id uuid,
    job_id uuid,
    kind text,
    spec jsonb,
    cpu_millis integer,
    memory_bytes bigint,
    gpus integer,
    gpu_type text,
    nodes integer,
    timeout_seconds integer,
    attempt integer,
    gpu_indices integer[],
    lease_expires_at timestamptz,
    token_index integer
)
LANGUAGE plpgsql
SET enable_sort = off
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
DECLARE
    free_cpu integer := p_free_cpu_millis;
    free_memory bigint := p_free_memory_bytes;
    gpu_pool integer[] := coalesce(p_free_gpu_indices, '{}');
    remaining integer := least(p_max_jobs, cardinality(p_token_hashes));
    chosen_ids uuid[] := '{}';
    chosen_gpus text[] := '{}';
    gang record;
    has_gang boolean := false;
    candidate record;
    previous_scope text := coalesce(current_setting('app.scope', true), '');
BEGIN
    PERFORM set_config('app.scope', 'dispatch', true);
    <<walk>>
    BEGIN
        IF p_look_for_assignments AND EXISTS (
            SELECT 1 FROM job_attempts a
            JOIN jobs j ON j.id = a.job_id AND j.attempt = a.attempt
            WHERE a.agent_id = p_agent_id AND a.state = 'assigned' AND j.state = 'leased' AND j.cancel_requested_at IS NULL
        ) THEN
            outcome := 'assignments';
            RETURN NEXT;
            EXIT walk;
        END IF;
        IF remaining < 1 THEN
            EXIT walk;
        END IF;
        -- Choose: walk the queue and keep what fits, in order, until the budget is spent or a gang job comes first.
        FOR candidate IN
            SELECT j.tenant_id, j.id, j.kind, j.spec, j.cpu_millis, j.memory_bytes, j.gpus, j.gpu_type, j.nodes, j.timeout_seconds
            FROM jobs j
            WHERE j.state = 'queued' AND j.cancel_requested_at IS NULL
              AND j.allowed_regions @> ARRAY[p_agent_region]
              AND j.node_selector <@ p_agent_labels
              AND j.cpu_millis <= free_cpu AND j.memory_bytes <= free_memory AND j.gpus <= cardinality(gpu_pool)
              AND (p_dedicated_tenant_id IS NULL OR j.tenant_id = p_dedicated_tenant_id)
              AND (j.gpu_type IS NULL OR EXISTS (
                    SELECT 1 FROM unnest(p_agent_gpu_names) AS g(name) WHERE strpos(lower(g.name), lower(j.gpu_type)) > 0))
              AND NOT (j.id = ANY (p_skip_job_ids))
            ORDER BY j.priority DESC, j.fair_seq, j.created_at
            LIMIT least(remaining * 2 + 2, 200)
            FOR UPDATE SKIP LOCKED
        LOOP
            EXIT WHEN remaining = 0;
            CONTINUE WHEN candidate.cpu_millis > free_cpu OR candidate.memory_bytes > free_memory
                OR candidate.gpus > cardinality(gpu_pool);
            IF candidate.nodes > 1 THEN
                gang := candidate;
                has_gang := true;
                EXIT;
            END IF;
            chosen_ids := chosen_ids || candidate.id;
            chosen_gpus := chosen_gpus || gpu_pool[1:candidate.gpus]::text;
            gpu_pool := gpu_pool[candidate.gpus + 1:];
            free_cpu := free_cpu - candidate.cpu_millis;
            free_memory := free_memory - candidate.memory_bytes;
            remaining := remaining - 1;
        END LOOP;
        -- Lease what was chosen in one statement: Postgres prepares the tables' check constraints once per statement, so
        -- several jobs go through one set-based statement. A single job (the commonest lease) takes a leaner statement
        -- of the same effect, which costs less than the set-based one with one row.
        IF cardinality(chosen_ids) = 1 THEN
            RETURN QUERY
            WITH leased AS (
                UPDATE jobs AS u SET state = 'leased', attempt = u.attempt + 1,
                    lease_expires_at = now() + make_interval(secs => p_lease_seconds), placement_note = '', updated_at = now()
                WHERE u.id = chosen_ids[1]
                RETURNING u.tenant_id, u.id, u.kind, u.spec, u.cpu_millis, u.memory_bytes, u.gpus, u.gpu_type, u.nodes,
                          u.timeout_seconds, u.attempt, chosen_gpus[1]::integer[] AS gpu_indices, u.lease_expires_at
            ), attempts AS (
                INSERT INTO job_attempts (tenant_id, job_id, attempt, node_rank, agent_id, agent_region, agent_address,
                                          gpu_indices, token_hash, state, delivered_at)
                SELECT l.tenant_id, l.id, l.attempt, 0, p_agent_id, p_agent_region, p_agent_address, l.gpu_indices,
                       decode(p_token_hashes[1], 'hex'), 'delivered', now()
                FROM leased l
            )
            SELECT 'leased'::text, l.tenant_id, l.id, l.kind, l.spec, l.cpu_millis, l.memory_bytes, l.gpus, l.gpu_type, l.nodes,
                   l.timeout_seconds, l.attempt, l.gpu_indices, l.lease_expires_at, 1
            FROM leased l;
        ELSIF cardinality(chosen_ids) > 1 THEN
            RETURN QUERY
            WITH chosen AS (
                SELECT c.id, c.gpus, c.n::integer AS n FROM unnest(chosen_ids, chosen_gpus) WITH ORDINALITY AS c(id, gpus, n)
            ), leased AS (
                UPDATE jobs AS u SET state = 'leased', attempt = u.attempt + 1,
                    lease_expires_at = now() + make_interval(secs => p_lease_seconds), placement_note = '', updated_at = now()
                FROM chosen c WHERE u.id = c.id
                RETURNING u.tenant_id, u.id, u.kind, u.spec, u.cpu_millis, u.memory_bytes, u.gpus, u.gpu_type, u.nodes,
                          u.timeout_seconds, u.attempt, c.gpus::integer[] AS gpu_indices, u.lease_expires_at, c.n
            ), attempts AS (
                INSERT INTO job_attempts (tenant_id, job_id, attempt, node_rank, agent_id, agent_region, agent_address,
                                          gpu_indices, token_hash, state, delivered_at)
                SELECT l.tenant_id, l.id, l.attempt, 0, p_agent_id, p_agent_region, p_agent_address, l.gpu_indices,
                       decode(p_token_hashes[l.n], 'hex'), 'delivered', now()
                FROM leased l
            )
            SELECT 'leased'::text, l.tenant_id, l.id, l.kind, l.spec, l.cpu_millis, l.memory_bytes, l.gpus, l.gpu_type, l.nodes,
                   l.timeout_seconds, l.attempt, l.gpu_indices, l.lease_expires_at, l.n
            FROM leased l;
        END IF;
        IF has_gang THEN
            outcome := 'gang';
            tenant_id := gang.tenant_id;
            job_id := gang.id;
            kind := gang.kind;
            spec := gang.spec;
            cpu_millis := gang.cpu_millis;
            memory_bytes := gang.memory_bytes;
            gpus := gang.gpus;
            gpu_type := gang.gpu_type;
            nodes := gang.nodes;
            timeout_seconds := gang.timeout_seconds;
            RETURN NEXT;
        END IF;
    END walk;
    PERFORM set_config('app.scope', previous_scope, true);
END
$$;
