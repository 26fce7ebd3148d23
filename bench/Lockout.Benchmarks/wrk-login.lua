-- wrk script for profiling against `--hold` (see bench/README.md): the hold account's wrong password, over and over.
-- A static body keeps wrk on its fast path (no Lua per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"hold-hot-000000","password":"Password123!"}'
