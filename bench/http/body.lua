-- The JSON request body of a wrk script, from WRK_BODY or the file WRK_BODY_FILE names; nil if
-- neither is set. Shared by post.lua and paced.lua, which load it from their own directory:
--   local body = dofile(script_dir .. "body.lua")
local body = os.getenv("WRK_BODY")
if body == nil or body == "" then
  local path = os.getenv("WRK_BODY_FILE")
  if path ~= nil and path ~= "" then
    local f = assert(io.open(path, "rb"), "cannot open WRK_BODY_FILE " .. path)
    body = f:read("*a")
    f:close()
  end
end
if body == "" then
  body = nil
end
return body
