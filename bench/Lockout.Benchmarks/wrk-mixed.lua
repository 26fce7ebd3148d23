-- wrk script for profiling ordinary logins against `--hold` (see bench/README.md): the mixed scenario's traffic,
-- random accounts among hold-mixed-000000 … hold-mixed-009999 (the default --mixed-accounts), 95% right passwords.
-- Builds a request per call, so wrk runs Lua per request: fine at the few thousand logins a second this reaches.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local accounts = 10000
local right = "correct horse battery staple"
local wrong = "Password123!"

function setup(thread)
  thread:set("seed", os.time() + math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  local password = math.random() < 0.05 and wrong or right
  local body = string.format('{"username":"hold-mixed-%06d","password":"%s"}', math.random(0, accounts - 1), password)
  return wrk.format(nil, "/login", nil, body)
end
