-- wrk script for `make bench`: POST /cart/add/ as a brand-new guest every time.
--
--   BENCH_CSRF_TOKEN=<32 letters/digits> BENCH_VARIANT_IDS=12,34,56 \
--     wrk -t2 -c16 -d10s --latency -s bench/lua/add_to_cart.lua http://127.0.0.1:8000/cart/add/
--
-- No session cookie is ever sent, so each request makes Django create (INSERT) a
-- session row for the guest's cart: the worst case for the cart, and a real one
-- (every first add-to-cart of a visitor).
--
-- CSRF: the request carries the cookie `csrftoken=<secret>` and the form field
-- `csrfmiddlewaretoken=<the same secret>`. Since Django 4.1 the cookie holds the
-- unmasked 32-character secret, and CsrfViewMiddleware accepts a form token of
-- exactly 32 characters as an unmasked secret, comparing it with the cookie's
-- (django/middleware/csrf.py, _does_token_match). No page has to be fetched first.
-- wrk sends no Origin header and this is plain HTTP, so no Origin/Referer check runs.
--
-- A success is a 302 to /cart/ that sets a `sessionid` cookie. A 302 without it
-- means the view refused the item (it redirects back with an error message, and
-- the session is not written); a 403 is a CSRF rejection; a 200 or anything else
-- is wrong too. done() prints one line `BENCH_CART {json}` that bench/run.py reads.

local token = os.getenv("BENCH_CSRF_TOKEN") or ""
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
refused = 0      -- 302 to /cart/ without a new session: the add was rejected
other = 0        -- any other status or redirect target
statuses = {}    -- counts by status code, as strings for thread:get()

function init(args)
  if #token ~= 32 or token:find("[^%w]") then
    error("BENCH_CSRF_TOKEN must be 32 letters or digits")
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. token,
  }
  for id in ids_text:gmatch("%d+") do
    local body = "variant=" .. id .. "&quantity=1&csrfmiddlewaretoken=" .. token
    table.insert(requests, wrk.format("POST", wrk.path, headers, body))
  end
  if #requests == 0 then
    error("BENCH_VARIANT_IDS holds no variant ids")
  end
  -- Threads start at different places in the list, so they do not move in step.
  position = (thread_id or 0) * 7919
end

function request()
  position = position + 1
  return requests[(position % #requests) + 1]
end

local function header(headers, name)
  for key, value in pairs(headers) do
    if key:lower() == name then
      return value
    end
  end
  return nil
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 302 and header(headers, "location") == "/cart/" then
    -- wrk keeps only the last of repeated headers; Django emits the session
    -- cookie after the messages cookie, so a written session shows here.
    local cookie = header(headers, "set-cookie") or ""
    if cookie:find("sessionid=", 1, true) then
      ok = ok + 1
    else
      refused = refused + 1
    end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_refused, total_other = 0, 0, 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_refused = total_refused + thread:get("refused")
    total_other = total_other + thread:get("other")
    for code, count in pairs(thread:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do
    table.insert(parts, string.format('"%s": %d', code, count))
  end
  io.write(string.format(
    'BENCH_CART {"ok": %d, "refused": %d, "other": %d, "statuses": {%s}}\n',
    total_ok, total_refused, total_other, table.concat(parts, ", ")
  ))
end
