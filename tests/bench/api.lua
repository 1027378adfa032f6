-- wrk script for faultline-api, on keep-alive connections.
-- BENCH_MODE: "login" (POST /api/v1/auth/login as BENCH_EMAIL/BENCH_PASSWORD),
--   "refresh" (each thread rotates its own session's refresh token, taken from
--   the comma-separated BENCH_REFRESH_TOKENS, using each answer's new token),
--   "me" (GET /api/v1/auth/me), "runs" (GET /api/v1/workflow-runs, a page of
--   50), "project" (GET /api/v1/projects/BENCH_PROJECT_ID), "project304" (the
--   same with If-None-Match: BENCH_ETAG), "path" (GET BENCH_PATH, e.g. an
--   analytics query), "ceiling" (GET /); all but login and refresh with
--   BENCH_ACCESS_TOKEN.
-- BENCH_DELAY_MS: pacing, see report.lua.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local mode = os.getenv("BENCH_MODE")
local bearer = {["Authorization"] = "Bearer " .. (os.getenv("BENCH_ACCESS_TOKEN") or "")}
local threads = {}
local refresh_tokens = {}
for token in string.gmatch(os.getenv("BENCH_REFRESH_TOKENS") or "", "[^,]+") do
  table.insert(refresh_tokens, token)
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("refresh_token", refresh_tokens[#threads] or "")
end

function init(args)
  failures = 0
end

function request()
  if mode == "login" then
    return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"},
      '{"email":"' .. os.getenv("BENCH_EMAIL") .. '","password":"' .. os.getenv("BENCH_PASSWORD") .. '"}')
  elseif mode == "refresh" then
    return wrk.format("POST", "/api/v1/auth/refresh", {["Content-Type"] = "application/json"},
      '{"refresh_token":"' .. refresh_token .. '"}')
  elseif mode == "me" then
    return wrk.format("GET", "/api/v1/auth/me", bearer)
  elseif mode == "runs" then
    return wrk.format("GET", "/api/v1/workflow-runs?page_size=50", bearer)
  elseif mode == "project" then
    return wrk.format("GET", "/api/v1/projects/" .. os.getenv("BENCH_PROJECT_ID"), bearer)
  elseif mode == "path" then
    return wrk.format("GET", os.getenv("BENCH_PATH"), bearer)
  elseif mode == "project304" then
    return wrk.format("GET", "/api/v1/projects/" .. os.getenv("BENCH_PROJECT_ID"),
      {["Authorization"] = bearer["Authorization"], ["If-None-Match"] = os.getenv("BENCH_ETAG")})
  end
  return wrk.format("GET", "/")
end

function response(status, headers, body)
  local expected = (mode == "project304") and 304 or nil
  if (expected and status ~= expected) or (not expected and status >= 300) then
    failures = failures + 1
  end
  if mode == "refresh" and status == 200 then
    refresh_token = string.match(body, '"refresh_token":"([^"]+)"') or refresh_token
  end
end

function done(summary, latency, requests)
  report(threads, summary, latency)
end
