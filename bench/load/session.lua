-- wrk script of bench/load_bench.py: every request carries the signed-in clerk's session cookie
-- (WRK_COOKIE); at the end one line "RESULT {json}" with requests, duration, latency percentiles
-- (microseconds) and errors (socket errors and responses with status >= 400).
wrk.headers["Cookie"] = os.getenv("WRK_COOKIE")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"status_errors": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout))
end
