-- wrk script for POST actions: sends one JSON body, as Kaltura's JSON clients do.
--   WRK_BODY='{"format":1,...}' wrk -s bench/http/post.lua URL
--   WRK_BODY_FILE=/path/body.json wrk -s bench/http/post.lua URL
-- The URL on the wrk command line gives the path (/api_v3/service/S/action/A).
local body = os.getenv("WRK_BODY")
if body == nil or body == "" then
  local path = os.getenv("WRK_BODY_FILE")
  if path ~= nil and path ~= "" then
    local f = assert(io.open(path, "rb"), "post.lua: cannot open WRK_BODY_FILE " .. path)
    body = f:read("*a")
    f:close()
  end
end
if body == nil or body == "" then
  error("post.lua: set WRK_BODY or WRK_BODY_FILE to the JSON request body")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
