-- Online feature reads for `falaj bench features` (see BENCHMARKS.md, "Feature store"): wrk, keep-alive connections,
-- each request `POST /api/v1/features/online` for the 10 features of one random pushed entity. Run by the bench as
--   wrk -t 1 -c N -d S -s bench/features-online.lua URL/api/v1/features/online -- KEY_FILE PROJECT ENTITIES FEATURES
-- where KEY_FILE holds the API key (one line), ENTITIES is how many entities were pushed (keys c0 … c<ENTITIES-1>)
-- and FEATURES the comma-separated group:feature references. Every answer is read: a status other than 200 counts as
-- an error, a body with "found":true as found. `done` prints one line the bench parses:
--   online responses <n> errors <n> found <n> socket_errors <n> duration_us <n> p50_us <n> p99_us <n>

local threads = {}
local next_index = 0

function setup(thread)
   next_index = next_index + 1
   thread:set("index", next_index)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   local key = file:read("*l")
   file:close()
   local project, features = args[2], {}
   entities = tonumber(args[3])
   for name in string.gmatch(args[4], "[^,]+") do table.insert(features, '"' .. name .. '"') end
   prefix = '{"project":"' .. project .. '","entity_rows":[{"customer_id":"c'
   suffix = '"}],"features":[' .. table.concat(features, ",") .. ']}'
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. key
   math.randomseed(os.time() * 1000 + index)
   responses, errors, found = 0, 0, 0
end

function request()
   return wrk.format(nil, nil, nil, prefix .. math.random(0, entities - 1) .. suffix)
end

function response(status, headers, body)
   responses = responses + 1
   if status ~= 200 then
      errors = errors + 1
      return
   end
   if string.find(body, '"found":true', 1, true) then found = found + 1 end
end

function done(summary, latency, requests)
   local totals = { responses = 0, errors = 0, found = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
   end
   local e = summary.errors
   io.write(string.format("online responses %d errors %d found %d socket_errors %d duration_us %d p50_us %d p99_us %d\n",
      totals.responses, totals.errors, totals.found, e.connect + e.read + e.write + e.timeout, summary.duration,
      latency:percentile(50.0), latency:percentile(99.0)))
end
