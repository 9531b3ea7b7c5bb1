-- POST /datafn/mutation: one insert per request, as the DataFn client sends it: clientId + a unique mutationId
-- (so the server stores an idempotency record in the same transaction), no id (the server generates item:<uuid>).
-- bench/pgbench-insert.sql inserts the equivalent row.
-- TOKENS_FILE (optional): bearer tokens, one a line; the requests take them in turn, one namespace per token
-- (bench/curves.sh against a server with --auth jwt).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/wrk-common.lua")

local headers = { ["Content-Type"] = "application/json" }
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local n = 0
local tokens = {}
if os.getenv("TOKENS_FILE") then
   for line in io.lines(os.getenv("TOKENS_FILE")) do table.insert(tokens, line) end
end

request = function()
   n = n + 1
   if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[(n + tid) % #tokens + 1] end
   local body = string.format('{"resource":"items","operation":"insert","clientId":"bench-%s-%d","mutationId":"m%d",'
      .. '"record":{"title":"Bench item %d","category":"c%d","priority":%d,"done":false,"dueAt":"2026-01-%02dT12:00:00.000Z"}}',
      run, tid, n, n, math.random(0, 9), math.random(0, 99), math.random(1, 28))
   return wrk.format("POST", "/datafn/mutation", headers, body)
end
