-- POST /datafn/query: filtered (category = cX AND priority >= N), sorted (-priority, then id), paged (limit 20).
-- Half of the requests continue from a random keyset cursor (cursor.after), as a client paging down would.
-- bench/pgbench-query.sql draws the same parameters from the same distributions.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/wrk-common.lua")

local headers = { ["Content-Type"] = "application/json" }

request = function()
   local cat = math.random(0, 9)
   local minp = math.random(0, 90)
   local body
   if math.random(0, 1) == 0 then
      body = string.format('{"resource":"items","filters":{"category":"c%d","priority":{"gte":%d}},'
         .. '"sort":["-priority"],"limit":20}', cat, minp)
   else
      body = string.format('{"resource":"items","filters":{"category":"c%d","priority":{"gte":%d}},'
         .. '"sort":["-priority"],"limit":20,"cursor":{"after":{"priority":%d,"id":"item:%06d"}}}',
         cat, minp, math.random(minp + 5, 99), math.random(1, 100000))
   end
   return wrk.format("POST", "/datafn/query", headers, body)
end
