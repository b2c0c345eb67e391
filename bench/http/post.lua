-- wrk script for POST actions: sends one JSON body, as Kaltura's JSON clients do.
--   WRK_BODY='{"format":1,...}' wrk -s bench/http/post.lua URL
--   WRK_BODY_FILE=/path/body.json wrk -s bench/http/post.lua URL
-- The URL on the wrk command line gives the path (/api_v3/service/S/action/A).
-- body.lua sits beside this script (wrk loads it with its path as the chunk's name).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local body = dofile(here .. "body.lua")
if body == nil then
  error("post.lua: set WRK_BODY or WRK_BODY_FILE to the JSON request body")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
