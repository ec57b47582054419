-- wrk script for soak.sh: round-robin over the read-only paths of the todos example.
-- No `response` callback (it would slow wrk down); wrk counts non-2xx/3xx itself.

local paths = {
  "/todos",
  "/todos?done=true",
  "/todos?done=false&limit=2",
  "/todos/1",
  "/todos/2",
  "/todos/3",
}
local requests = {}
local i = 0

init = function(args)
  for k, p in ipairs(paths) do
    requests[k] = wrk.format("GET", p, { ["Accept"] = "application/json" })
  end
end

request = function()
  i = i % #requests + 1
  return requests[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SOAK requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
