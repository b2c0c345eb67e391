-- wrk script for the latency runs of scripts/bench-http.sh: each connection waits WRK_DELAY_MS
-- milliseconds after an answer before it sends its next request, so that the rate is set by the
-- number of connections (about connections / (delay + latency)) rather than by the server; at
-- the end it prints "paced: p50 p99 p99.9" (microseconds), which wrk's --latency lacks.
-- Standard wrk has no fixed-rate mode (wrk2 is not packaged), hence the pacing by delay: the
-- script measures latency at the rate it reaches, and bench-http.sh adjusts the connections to
-- reach the rate it wants.
--   WRK_DELAY_MS=2 [WRK_BODY=... or WRK_BODY_FILE=...] wrk -s bench/http/paced.lua URL
-- A body makes the request a JSON POST (as bench/http/post.lua).
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if delay_ms == nil or delay_ms < 1 then
  error("paced.lua: set WRK_DELAY_MS to a whole number of milliseconds, at least 1")
end

-- body.lua sits beside this script (wrk loads it with its path as the chunk's name).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local body = dofile(here .. "body.lua")
if body ~= nil then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  io.write(string.format("paced: %d %d %d\n", latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9)))
end
