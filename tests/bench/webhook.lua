-- wrk script: signed workflow_job deliveries on keep-alive connections.
-- Environment: BENCH_BODY_FILE, BENCH_SIGNATURE (and BENCH_DELAY_MS, see report.lua).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local body_file = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
local body = body_file:read("*a")
body_file:close()
local signature = os.getenv("BENCH_SIGNATURE")

local threads = {}
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  failures = 0
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "workflow_job",
    ["X-GitHub-Delivery"] = "bench-" .. id .. "-" .. counter,
    ["X-GitHub-Hook-ID"] = "1",
    ["X-Hub-Signature-256"] = signature,
  }, body)
end

function response(status, headers, body)
  if status >= 300 then failures = failures + 1 end
end

function done(summary, latency, requests)
  report(threads, summary, latency)
end
