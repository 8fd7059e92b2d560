-- Mixed reads for bench/scale.sh: search (text, facets, sorted), dataset show (JSON and DCAT), code lookup, CKAN
-- package_show and package_search, a DCAT catalog page, over random generated datasets (SCALE_DATASETS of them).
local datasets = tonumber(os.getenv("SCALE_DATASETS") or "100000")
local counter = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

local fixed = {
  "/api/v1/search?q=chat%20luong%20khong%20khi",
  "/api/v1/search?theme=health&sort=modified",
  "/api/v1/search?q=dan%20so&limit=5",
  "/api/v1/registry/lists/administrative-units/items/01",
  "/api/3/action/package_search?rows=10&q=gia%20dat",
  "/catalog?page_size=100&format=ttl",
}

function request()
  counter = counter + 1
  local id = string.format("gen-%06d", math.random(1, datasets))
  local k = counter % 10
  if k == 0 then
    return wrk.format("GET", "/api/v1/datasets/" .. id)
  elseif k == 1 then
    return wrk.format("GET", "/dataset/" .. id .. "?format=ttl")
  elseif k == 2 then
    return wrk.format("GET", "/api/3/action/package_show?id=" .. id)
  else
    return wrk.format("GET", fixed[(counter % #fixed) + 1])
  end
end
