-- wrk script of scripts/bench-scale.sh: appToken.startSession, cycling over the JSON bodies of
-- WRK_BODIES_FILE (one per line, one token each), so that every request names the next token.
--   WRK_BODIES_FILE=bodies.txt wrk -s bench/scale/startsession.lua URL/api_v3/service/apptoken/action/startSession
local path = os.getenv("WRK_BODIES_FILE")
assert(path ~= nil and path ~= "", "startsession.lua: set WRK_BODIES_FILE")
local bodies = {}
for line in io.lines(path) do
  if line ~= "" then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "startsession.lua: no bodies in " .. path)

local headers = {["Content-Type"] = "application/json"}
local i = 0

-- Each wrk thread starts at its own place in the list.
function setup(thread)
  thread:set("start", math.random(#bodies))
end

function init()
  i = tonumber(start) or 0
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[i])
end
