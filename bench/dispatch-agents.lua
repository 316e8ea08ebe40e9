-- Simulated agents for `falaj bench dispatch` (see BENCHMARKS.md, "Job dispatch"): wrk, one connection per thread, each
-- thread one registered agent that leases as fast as it can. Run by the bench itself as
--   wrk -t N -c N -d S -s bench/dispatch-agents.lua URL/agent/v1/lease -- CREDENTIALS_FILE MAX_JOBS
-- where CREDENTIALS_FILE holds one agent credential per line and MAX_JOBS is the lease request's maxJobs. Every answer
-- is read: a status other than 200 counts as an error, and each "jobID" key in a body as one leased job. `done` prints
--   leased <jobs> responses <n> empty <n> errors <n>
-- and the bench checks the leased count against the job attempts in the database.

local threads = {}
local next_index = 0

function setup(thread)
   next_index = next_index + 1
   thread:set("index", next_index)
   table.insert(threads, thread)
end

function init(args)
   local path, max_jobs = args[1], tonumber(args[2] or "1")
   local credentials = {}
   for line in io.lines(path) do
      if #line > 0 then table.insert(credentials, line) end
   end
   local credential = credentials[((index - 1) % #credentials) + 1]
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["X-Falaj-Agent-Protocol"] = "1"
   wrk.headers["Authorization"] = "Bearer " .. credential
   wrk.body = string.format(
      '{"free":{"cpuMillis":1024000,"memoryBytes":1099511627776,"gpus":0},"freeGPUIndices":[],"maxJobs":%d,"waitSeconds":0}',
      max_jobs)
   leased, responses, empty, errors = 0, 0, 0, 0
end

function response(status, headers, body)
   responses = responses + 1
   if status ~= 200 then
      errors = errors + 1
      return
   end
   local jobs = 0
   for _ in string.gmatch(body, '"jobID"') do jobs = jobs + 1 end
   if jobs == 0 then empty = empty + 1 end
   leased = leased + jobs
end

function done(summary, latency, requests)
   local totals = { leased = 0, responses = 0, empty = 0, errors = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
   end
   io.write(string.format("leased %d responses %d empty %d errors %d\n", totals.leased, totals.responses, totals.empty, totals.errors))
end
