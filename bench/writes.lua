-- bench/throughput.sh: 16 writers, each request a merge-patch of a random generated dataset's title (admin token).
-- Generated ids run from gen-000001 to gen-N (a draw of gen-000000 was the one 404 of earlier runs).
local datasets = tonumber(os.getenv("WRITES_DATASETS") or "100000")
local counter = 0
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000) end
function request()
  counter = counter + 1
  local id = string.format("gen-%06d", math.random(1, datasets))
  local body = string.format('{"title":{"vi":"Ghi %d %d"}}', counter, math.random(1, 1000000))
  return wrk.format("PATCH", "/api/v1/datasets/" .. id,
    { ["Authorization"] = "Bearer bench", ["Content-Type"] = "application/merge-patch+json" }, body)
end
