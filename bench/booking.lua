-- wrk script for bench/booking.sh: booking attempts, each for a new person with a valid HKID
-- (check digit as crates/platform/src/ids.rs), on a slot drawn at random from a file; it stops
-- after BOOK_ATTEMPTS answers and counts them by kind. Run it with one thread (wrk -t1 -cN).
-- Configured from the environment:
--   BOOK_SLOTS_FILE  slot IDs, one a line
--   BOOK_ATTEMPTS    answers to wait for (at most 1,000,000: six HKID digits per prefix)
--   BOOK_API         reference: {"slot_id", "person_id"}   (bench/booking-reference)
--                    lionrock:  {"slot_id", "document": {"kind": "hkid", "number"}}  (POST /api/v1/booking/bookings)
--   BOOK_AUTH        Authorization header value, if any (lionrock: "Bearer <access token>")
--   BOOK_SESSIONS_FILE  or browser sessions, one a line: "<Cookie header value>\t<CSRF token>";
--                    requests take them in turn (Cookie and x-csrf-token headers)
--   BOOK_PEOPLE_FILE lionrock: person IDs, one a line, one per attempt (dependants of the signed-in
--                    account: booking allows one booking per person and programme step)
--   BOOK_PREFIX      two capital letters that start every HKID of this run: distinct per window,
--                    so no person books twice on one server
--   BOOK_SEED        seed of the slot draw (the same per round for both servers: same demand)
-- An answer counts as
--   created    201 whose body names a "reference"
--   full       409 whose problem type ends in "full"
--   duplicate  any other 409 (one active booking per person: should not happen here)
--   other      anything else (bad_status keeps one such status)
-- When BOOK_ATTEMPTS answers are in, it stops wrk at once (SIGINT to itself, which wrk takes as the
-- end of the run), so set wrk's -d only as an upper bound. duration_us runs from the first request
-- to that last answer (LuaJIT's FFI clock; wrk's own run time when the run ended at -d instead).
-- Last line printed: "booking-ok created=N full=N duplicate=N other=N bad_status=S connect=N read=N
-- write=N timeout=N answered=N duration_us=N p50_us=N p99_us=N" (latency over every answer).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } booking_timespec;
int clock_gettime(int clock, booking_timespec *ts);
int kill(int pid, int sig);
int getpid(void);
]]
local ts = ffi.new("booking_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local slots = {}
for line in io.lines(os.getenv("BOOK_SLOTS_FILE")) do
  if line ~= "" then slots[#slots + 1] = line end
end
assert(#slots > 0, "BOOK_SLOTS_FILE has no slot IDs")
local attempts = tonumber(os.getenv("BOOK_ATTEMPTS"))
assert(attempts and attempts >= 1 and attempts <= 1000000, "BOOK_ATTEMPTS must be 1..1000000")
local api = os.getenv("BOOK_API") or "reference"
assert(api == "reference" or api == "lionrock", "BOOK_API must be reference or lionrock")
local prefix = os.getenv("BOOK_PREFIX") or "AA"
assert(prefix:match("^[A-Z][A-Z]$"), "BOOK_PREFIX must be two capital letters")
math.randomseed(tonumber(os.getenv("BOOK_SEED")) or 1)

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BOOK_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local sessions = {}
local sessions_file = os.getenv("BOOK_SESSIONS_FILE")
if sessions_file and sessions_file ~= "" then
  for line in io.lines(sessions_file) do
    local cookie, csrf = line:match("^([^\t]+)\t(%S+)$")
    if cookie then sessions[#sessions + 1] = { Cookie = cookie, ["x-csrf-token"] = csrf } end
  end
  assert(#sessions > 0, "BOOK_SESSIONS_FILE has no sessions")
end

-- Letters count A=10 .. Z=35; weights 9..2; check = (11 - sum mod 11) mod 11, 10 written A.
local head = (prefix:byte(1) - 55) * 9 + (prefix:byte(2) - 55) * 8
local function hkid(n)
  local digits = string.format("%06d", n)
  local sum = head
  for i = 1, 6 do sum = sum + (digits:byte(i) - 48) * (8 - i) end
  local check = (11 - sum % 11) % 11
  return prefix .. digits .. (check == 10 and "A" or tostring(check))
end

local people = {}
local people_file = os.getenv("BOOK_PEOPLE_FILE")
if people_file and people_file ~= "" then
  for line in io.lines(people_file) do
    if line ~= "" then people[#people + 1] = line end
  end
  assert(#people >= attempts, "BOOK_PEOPLE_FILE needs one person per attempt")
end

local sent = 0
first_us, last_us = 0, 0
function request()
  if sent == 0 then first_us = now_us() end
  local slot = slots[math.random(#slots)]
  local person = hkid(sent % 1000000)
  sent = sent + 1
  local body
  if api == "lionrock" then
    local who = ""
    if #people > 0 then who = '"person_id":"' .. people[(sent - 1) % #people + 1] .. '",' end
    body = '{"slot_id":"' .. slot .. '",' .. who .. '"document":{"kind":"hkid","number":"' .. person .. '"}}'
  else
    body = '{"slot_id":"' .. slot .. '","person_id":"' .. person .. '"}'
  end
  local headers = nil
  if #sessions > 0 then
    headers = sessions[sent % #sessions + 1]
    headers["Content-Type"] = "application/json"
    if auth and auth ~= "" then headers["Authorization"] = auth end
  end
  return wrk.format(nil, nil, headers, body)
end

created, full, duplicate, other, bad_status, answered = 0, 0, 0, 0, 0, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if answered >= attempts then return end -- answers already read when the run was stopped
  if status == 201 and body and body:find('"reference"', 1, true) then
    created = created + 1
  elseif status == 409 and body and body:find('"type"%s*:%s*"[^"]*full"') then
    full = full + 1
  elseif status == 409 then
    duplicate = duplicate + 1
  else
    other = other + 1
    bad_status = status
  end
  answered = answered + 1
  if answered == attempts then
    last_us = now_us()
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2) -- SIGINT: wrk's main thread stops sleeping out -d
  end
end

function done(summary, latency, requests)
  local t = { created = 0, full = 0, duplicate = 0, other = 0, bad_status = 0, answered = 0 }
  for _, th in ipairs(threads) do
    for k in pairs(t) do
      local v = th:get(k)
      if k == "bad_status" then
        if v ~= 0 then t[k] = v end
      else
        t[k] = t[k] + v
      end
    end
  end
  local duration = summary.duration
  local th = threads[1]
  if #threads == 1 and th:get("last_us") > 0 then duration = th:get("last_us") - th:get("first_us") end
  local e = summary.errors
  io.write(string.format("booking-ok created=%d full=%d duplicate=%d other=%d bad_status=%d connect=%d read=%d write=%d timeout=%d answered=%d duration_us=%d p50_us=%d p99_us=%d\n",
    t.created, t.full, t.duplicate, t.other, t.bad_status, e.connect, e.read, e.write, e.timeout, t.answered, duration,
    latency:percentile(50), latency:percentile(99)))
end
