-- wrk script for `make bench`: POST /cart/add/ as one logged-in member.
--
--   BENCH_COOKIE='sessionid=...; csrftoken=<secret>' BENCH_CSRF_TOKEN=<secret> BENCH_VARIANT_IDS=12,34 \
--     wrk -t2 -c16 -d10s --latency -s bench/lua/member_add_to_cart.lua http://127.0.0.1:8000/cart/add/
--
-- The member's session (logged in by bench/run.py through allauth's form) and CSRF
-- cookie go with every request, the form token is the cookie's unmasked secret
-- (see add_to_cart.lua for why Django accepts it). Each add puts one more unit of
-- the next of the rotated SKUs into the member's cart (a row in the database).
-- A 302 to /cart/ is counted as answered; whether it was an add and not a refusal
-- run.py checks against the units in the member's cart before and after.
-- done() prints `BENCH_CART {json}` as add_to_cart.lua does.

local token = os.getenv("BENCH_CSRF_TOKEN") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local ids_text = os.getenv("BENCH_VARIANT_IDS") or ""

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

local requests = {}
local position = 0
ok = 0
refused = 0
other = 0
statuses = {}

function init(args)
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}
  for id in ids_text:gmatch("%d+") do
    local body = "variant=" .. id .. "&quantity=1&csrfmiddlewaretoken=" .. token
    table.insert(requests, wrk.format("POST", nil, headers, body))
  end
  if #requests == 0 then error("BENCH_VARIANT_IDS holds no variant ids") end
  position = (thread_id or 0) * 7
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location == "/cart/" then
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
  io.write(string.format('BENCH_CART {"ok": %d, "refused": 0, "other": %d, "statuses": {%s}}\n', total_ok,
    total_other, table.concat(parts, ", ")))
end
