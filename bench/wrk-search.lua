-- POST /datafn/search for one random word of the loaded vocabulary (w0 .. w<VOCAB-1>), as the user of a random token
-- of TOKENS (one line per namespace; bench/search.sh writes the file). Limit 20, as a search box would ask.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/wrk-common.lua")

local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
   table.insert(tokens, line)
end
local vocab = tonumber(os.getenv("VOCAB") or "5000")

request = function()
   local headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)],
   }
   local body = string.format('{"query":"w%d","limit":20}', math.random(0, vocab - 1))
   return wrk.format("POST", "/datafn/search", headers, body)
end
