-- Gang scheduling for multi-node jobs. Every rank of a gang attempt carries the rendezvous variables `torchrun`
-- needs (WORLD_SIZE, MASTER_ADDR = the address of rank 0, MASTER_PORT chosen by the scheduler), so any member can be
-- handed its assignment from its own row.

ALTER TABLE job_attempts
    ADD COLUMN world_size integer NOT NULL DEFAULT 1 CHECK (world_size BETWEEN 1 AND 64),
    ADD COLUMN master_address text CHECK (length(master_address) <= 255),
    ADD COLUMN master_port integer CHECK (master_port BETWEEN 1024 AND 65535);

-- A gang reservation released because not every member picked it up in time does not use up max_attempts: the
-- attempt counter still moves on (attempt numbers are never reused), and this counts the attempts that were free.
ALTER TABLE jobs
    ADD COLUMN free_attempts integer NOT NULL DEFAULT 0 CHECK (free_attempts >= 0);

-- Stale gangs: assigned members of current attempts, oldest first.
CREATE INDEX job_attempts_assigned ON job_attempts (assigned_at) WHERE state = 'assigned';
-- Explaining why queued jobs wait: the ones untouched for a while.
CREATE INDEX jobs_waiting ON jobs (updated_at) WHERE state = 'queued';
