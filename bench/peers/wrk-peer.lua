-- wrk script of bench/peers.sh: the same operation in each server's own API, chosen by PEER (datafn, triplit, rxdb)
-- and OP (insert, query). TOKEN is sent as a bearer token when set (Triplit).
--   insert: one new row per request with a unique id (thread id + counter), as bench/peers/client.mjs rows look;
--           DataFn's carries clientId + mutationId, as its client sends them (an idempotency record is written).
--   query:  category = cX AND priority >= N, sorted by priority descending then id, limit 20 (X, N random).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/wrk-common.lua")

local peer = os.getenv("PEER") or "datafn"
local op = os.getenv("OP") or "insert"
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local headers = { ["Content-Type"] = "application/json" }
if (os.getenv("TOKEN") or "") ~= "" then headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
local n = 0

local function record()
   n = n + 1
   return string.format('{"id":"item:%s-%d-%d","title":"Bench item %d","category":"c%d","priority":%d,"done":false}',
      run, tid, n, n, math.random(0, 9), math.random(0, 99))
end

local requests = {
   datafn = {
      insert = function()
         local r = record()
         return "/datafn/mutation", string.format(
            '{"resource":"items","operation":"insert","id":"item:%s-%d-%d","clientId":"bench-%s-%d","mutationId":"m%d","record":%s}',
            run, tid, n, run, tid, n, r)
      end,
      query = function(cat, minp)
         return "/datafn/query", string.format(
            '{"resource":"items","filters":{"category":"c%d","priority":{"gte":%d}},"sort":["-priority","id"],"limit":20}', cat, minp)
      end,
   },
   triplit = {
      insert = function() return "/insert", '{"collectionName":"items","entity":' .. record() .. '}' end,
      query = function(cat, minp)
         return "/fetch", string.format('{"query":{"collectionName":"items","where":[["category","=","c%d"],["priority",">=",%d]],'
            .. '"order":[["priority","DESC"],["id","ASC"]],"limit":20}}', cat, minp)
      end,
   },
   rxdb = {
      insert = function() return "/items/0/set", "[" .. record() .. "]" end,
      query = function(cat, minp)
         return "/items/0/query", string.format('{"selector":{"category":"c%d","priority":{"$gte":%d}},'
            .. '"sort":[{"priority":"desc"},{"id":"asc"}],"limit":20}', cat, minp)
      end,
   },
}
local make = requests[peer][op]

request = function()
   local path, body = make(math.random(0, 9), math.random(0, 90))
   return wrk.format("POST", path, headers, body)
end
