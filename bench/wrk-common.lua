-- Shared by the wrk scripts: per-thread ids (wrk seeds every thread's math.random identically, so each thread
-- gets its own seed and id), and a one-line machine-readable summary that bench/run.sh parses.
-- A response counts as ok when its status is 200 and its body contains BENCH_OK_MARKER (default '"ok":true', the
-- DataFn envelope; empty: the status alone, for the peers of bench/peers.sh).
local threads = {}
local counter = 0
local ok_marker = os.getenv("BENCH_OK_MARKER") or '"ok":true'

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() * 1000 + tid * 7919)
end

-- globals, so that done() can read them from each thread with thread:get()
ok_count = 0
bad_count = 0
first_bad = nil

function response(status, headers, body)
   if status == 200 and (ok_marker == "" or string.find(body, ok_marker, 1, true)) then
      ok_count = ok_count + 1
   else
      bad_count = bad_count + 1
      if first_bad == nil then first_bad = status .. " " .. string.sub(body, 1, 200) end
   end
end

function done(summary, latency, requests)
   local ok, bad, sample = 0, 0, nil
   for _, t in ipairs(threads) do
      ok = ok + (t:get("ok_count") or 0)
      bad = bad + (t:get("bad_count") or 0)
      sample = sample or t:get("first_bad")
   end
   local secs = summary.duration / 1e6
   io.write(string.format("RESULT rps=%.1f requests=%d ok=%d bad=%d sockerr=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f avg_ms=%.2f\n",
      summary.requests / secs, summary.requests, ok, bad,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
   if sample then io.write("FIRST_BAD " .. sample .. "\n") end
end
