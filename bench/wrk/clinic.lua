-- wrk script for bench/serve_clinic.sh: one clinic request, in a logged-in session.
--   KETA_METHOD   GET or POST
--   KETA_COOKIE   "keta_session=..." (from a login made by the bench script)
--   KETA_CSRF     the session's CSRF token (sent on POST)
--   KETA_BODY     the JSON body of a POST
--   KETA_RATE     requests per second for the whole run; 0 or unset: as fast as possible
--   KETA_CONNS    the connection count given to wrk (to spread KETA_RATE over them)
-- wrk (not wrk2) has no fixed-rate mode: with KETA_RATE each connection waits
-- KETA_CONNS / KETA_RATE seconds after each answer before its next request, so the rate is
-- at most KETA_RATE, a little under it by the latency. The latency wrk prints is then the
-- service time of each request (no queueing behind a stalled one is counted).
wrk.method = os.getenv("KETA_METHOD") or "GET"
wrk.headers["Cookie"] = os.getenv("KETA_COOKIE") or ""
if wrk.method == "POST" then
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-CSRF-Token"] = os.getenv("KETA_CSRF") or ""
    wrk.body = os.getenv("KETA_BODY") or "{}"
end

local rate = tonumber(os.getenv("KETA_RATE") or "0") or 0
local conns = tonumber(os.getenv("KETA_CONNS") or "1") or 1
local wait_ms = 0
if rate > 0 then
    wait_ms = conns * 1000 / rate
end

function delay()
    return wait_ms
end
