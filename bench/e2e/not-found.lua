-- Written by hand (not by gen.py): every request for a path no route matches, as from a
-- scanner. Every answer is a 404: `E2E_LUA=not-found.lua python3 bench/e2e/instructions.py`
-- counts the router's own answer (instructions.py expects 404s, and only 404s, with it).
local paths = {"/wp-login.php", "/.env", "/admin/config.php", "/no/such/route/here"}
local reqs = {}
local i = 0
function init(args)
  for k, path in ipairs(paths) do
    reqs[k] = wrk.format("GET", path)
  end
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
-- Fails the run on any status but 404.
function response(status, headers, body)
  if status ~= 404 then
    error("expected 404, got " .. status)
  end
end
