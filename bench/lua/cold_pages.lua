-- wrk script for the cold rows of `make bench`: a different URL on each request.
--
--   BENCH_PATHS_FILE=paths.txt BENCH_COOKIE='sessionid=...; csrftoken=...' \
--     wrk -t2 -c16 -d10s --latency -s bench/lua/cold_pages.lua http://127.0.0.1:8000/
--
-- Each thread reads the paths (one per line) and asks for one drawn at random each
-- time, so a catalogue of 100,000 products is not answered from one warm cache entry.
-- BENCH_COOKIE, when set, is sent on every request: the session of a member that
-- bench/run.py logged in through allauth's form, so the pages are the member's.
-- A page counts only when it answers 200: a redirect to the log-in page would
-- otherwise pass for a fast page. done() prints `BENCH_PAGES {json}` for run.py.

local paths_file = os.getenv("BENCH_PATHS_FILE") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

local paths = {}
ok = 0
other = 0
statuses = {}

function init(args)
  for line in io.lines(paths_file) do
    if #line > 0 then table.insert(paths, line) end
  end
  if #paths == 0 then error("BENCH_PATHS_FILE holds no paths") end
  math.randomseed(os.time() + (thread_id or 0) * 7919)
  wrk.headers["Cookie"] = cookie ~= "" and cookie or nil
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total_ok, total_other, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    for key, count in pairs(thread:get("statuses")) do
      by_status[key] = (by_status[key] or 0) + count
    end
  end
  local parts = {}
  for key, count in pairs(by_status) do table.insert(parts, string.format('"%s": %d', key, count)) end
  io.write(string.format('BENCH_PAGES {"ok": %d, "other": %d, "statuses": {%s}}\n', total_ok, total_other,
    table.concat(parts, ", ")))
end
