-- Mixed reads and writes for bench/soak.sh: 9 reads (search, facets, dataset, code lookup, CKAN) for each write (a
-- merge-patch of a dataset's title, admin token). Counts responses by class; `delay` paces each connection so the
-- whole run stays near the target rate (SOAK_DELAY_MS per request per connection; 0 = as fast as possible).
local token = os.getenv("SOAK_TOKEN") or "bench"
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local datasets = tonumber(os.getenv("SOAK_DATASETS") or "10000")
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  c2xx, c4xx, c5xx, other, writes = 0, 0, 0, 0, 0
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

local reads = {
  "/api/v1/search?q=chat%20luong",
  "/api/v1/search?theme=health&sort=modified",
  "/api/v1/registry/lists/administrative-units/items/01",
  "/api/3/action/package_search?rows=10",
  "/api/v1/search?q=dan%20so&limit=5",
  "/healthz",
}

function request()
  counter = counter + 1
  local id = string.format("gen-%06d", math.random(0, datasets - 1))
  if counter % 10 == 0 then
    writes = writes + 1
    local body = string.format('{"title":{"vi":"Soak %d %d"}}', counter, math.random(1, 1000000))
    return wrk.format("PATCH", "/api/v1/datasets/" .. id,
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/merge-patch+json" }, body)
  elseif counter % 10 < 4 then
    return wrk.format("GET", "/api/v1/datasets/" .. id)
  else
    return wrk.format("GET", reads[(counter % #reads) + 1])
  end
end

function delay()
  return delay_ms
end

function response(status, headers, body)
  if status >= 500 then c5xx = c5xx + 1
  elseif status >= 400 then c4xx = c4xx + 1
  elseif status >= 200 and status < 300 then c2xx = c2xx + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t2, t4, t5, o, w = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("c2xx"); t4 = t4 + thread:get("c4xx"); t5 = t5 + thread:get("c5xx")
    o = o + thread:get("other"); w = w + thread:get("writes")
  end
  io.write(string.format("SOAK 2xx=%d 4xx=%d 5xx=%d other=%d writes=%d socket_errors=%d\n", t2, t4, t5, o, w,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
