-- wrk script for bench/opendata-search.sh: package_search GETs taken in turn from a list of
-- queries (SEARCH_QUERIES_FILE, one query string a line), so every connection sends the mix.
-- Last line printed: "search-ok requests=N non200=N errors=N rps=N p50_ms=N p95_ms=N p99_ms=N".
local queries = {}
local path = os.getenv("SEARCH_QUERIES_FILE")
for line in io.lines(path) do
  if line ~= "" then queries[#queries + 1] = line end
end
local prefix = os.getenv("SEARCH_PATH") or "/api/3/action/package_search?"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  non200 = 0
  counter = id * 7
end

function request()
  counter = counter + 1
  return wrk.format("GET", prefix .. queries[(counter % #queries) + 1])
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format("search-ok requests=%d non200=%d errors=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
    summary.requests, bad, errors, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
