-- Predictions for `falaj bench serving` (see BENCHMARKS.md, "Model serving"): wrk, keep-alive connections, each request
-- one row of random inputs for the bench's boosted-tree model, sent either straight to the replica or through the
-- gateway. Run by the bench as
--   wrk -t 1 -c N -d S -s bench/serving-predict.lua URL -- KEY_FILE PACE_MS
-- where KEY_FILE holds the API key (one line; an empty file sends no Authorization header, for the replica itself) and
-- PACE_MS is the mean of each connection's random (exponential) wait before each request (0: none, as fast as answers
-- come; N connections pacing P ms offer about N × 1000 / P requests a second, arriving as a Poisson stream). Every answer is read: a status other than 200 counts as an error, a 200
-- whose body has no "predictions" as wrong. `done` prints one line the bench parses:
--   serving responses <n> errors <n> wrong <n> socket_errors <n> duration_us <n> p50_us <n> p99_us <n> p999_us <n>

local threads = {}
local next_index = 0
local plans = { "free", "pro", "team", "enterprise" }

function setup(thread)
   next_index = next_index + 1
   thread:set("index", next_index)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   local key = file:read("*l")
   file:close()
   pace = tonumber(args[2])
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
   if key and #key > 0 then wrk.headers["Authorization"] = "Bearer " .. key end
   math.randomseed(os.time() * 1000 + index)
   responses, errors, wrong = 0, 0, 0
end

-- Poisson arrivals: an exponential wait of mean PACE_MS, so the connections never fire in step.
function delay()
   if pace == 0 then return 0 end
   return math.floor(-math.log(1 - math.random()) * pace + 0.5)
end

-- The bench model's inputs (ServingBenchmark.columns): usage, spend, tenure, tickets, plan.
function request()
   local body = string.format('{"rows":[{"usage":%.3f,"spend":%.2f,"tenure":%d,"tickets":%d,"plan":"%s"}]}',
      math.random() * 20, math.random() * 500, math.random(0, 120), math.random(0, 9), plans[math.random(1, 4)])
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   responses = responses + 1
   if status ~= 200 then
      errors = errors + 1
      return
   end
   if not string.find(body, '"predictions":[', 1, true) then wrong = wrong + 1 end
end

function done(summary, latency, requests)
   local totals = { responses = 0, errors = 0, wrong = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
   end
   local e = summary.errors
   io.write(string.format("serving responses %d errors %d wrong %d socket_errors %d duration_us %d p50_us %d p99_us %d p999_us %d\n",
      totals.responses, totals.errors, totals.wrong, e.connect + e.read + e.write + e.timeout, summary.duration,
      latency:percentile(50.0), latency:percentile(99.0), latency:percentile(99.9)))
end
