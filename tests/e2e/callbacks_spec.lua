-- `reel callbacks` end to end (issue 10): a real receiver process on a
-- loopback port, fed (1) by a real `reel sim` whose task a `reel run` script
-- created with callback_url pointing at it, and (2) by the curl CLI with
-- signatures computed by the openssl CLI (§12.2, as sim/callbacks_spec.lua
-- checks the sender). Checked: accepted states land in the journal row of
-- the task (made with reel's schema by journal_init, read with sqlite3);
-- forged, stale, replayed and malformed callbacks are refused (401, 400)
-- with the reason in the log; the log never holds the key, a signature or
-- the access key header; SIGTERM and SIGINT stop it with status 0.
--
-- Runs under the reference interpreter: busted --lua=lua5.4, with REEL the
-- reel binary and REEL_JOURNAL_INIT the journal_init program (ctest
-- callbacks_e2e sets both). Built on tests/e2e/client/support.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"

local INIT = os.getenv("REEL_JOURNAL_INIT")
if not S.configured or not INIT or INIT == "" then
  describe("reel callbacks", function()
    pending("REEL and REEL_JOURNAL_INIT are not set: run through ctest (callbacks_e2e)")
  end)
  return
end
S.bind{ assert = assert }

local json, q, sh, slurp, write_file, sleep = S.json, S.q, S.sh, S.slurp, S.write_file, S.sleep

local KEY = "callbacks-e2e-secret-key"

local function wait_for(pred, seconds)
  local deadline = os.time() + seconds
  while os.time() < deadline do
    if pred() then return true end
    sleep(0.1)
  end
  return pred()
end

---------------------------------------------------------------------------
-- Journal
---------------------------------------------------------------------------

local init_journal, sql = S.init_journal, S.sqlite

local function row_of(path, task_id)
  local out = sql(path, ("SELECT * FROM calls WHERE task_id = '%s'"):format(task_id), "-json")
  if out:match("^%s*$") then return nil end
  return json.decode(out)[1]
end

local function states_of(path, task_id)
  local out = sql(path, ("SELECT s.state FROM states s JOIN calls c ON c.id = s.call_id " ..
                         "WHERE c.task_id = '%s' ORDER BY s.rowid"):format(task_id))
  local list = {}
  for s in out:gmatch("[^\n]+") do list[#list + 1] = s end
  return list
end

local n_rows = 0
local function insert_task(path, task_id, state)
  n_rows = n_rows + 1
  sql(path, ("INSERT INTO calls (key, script, shot, kind, model, request, dialect, base_url, " ..
             "payload, task_id, state, err_code, created_at, updated_at) VALUES ('k-%d', " ..
             "'/work/x.lua', '', 'text2video', 'viduq2', '{}', 'vidu', 'http://127.0.0.1:9', " ..
             "'', '%s', '%s', '', %d, %d)"):format(n_rows, task_id, state, os.time(), os.time()))
end

---------------------------------------------------------------------------
-- The receiver
---------------------------------------------------------------------------

-- Starts `reel callbacks` on a free port (--listen 127.0.0.1:0) with the key
-- in a key file; returns { port, pid (reel's), out, err, rc (files) }.
local function start_receiver(journal, extra)
  local dir = S.newdir("receiver")
  local key_file = dir .. "/key"
  write_file(key_file, KEY .. "\n")
  local r = { out = dir .. "/out", err = dir .. "/err", rc = dir .. "/rc", dir = dir }
  local cmd = ("env -u VIDU_API_KEY timeout -k 5 600 %s callbacks --listen 127.0.0.1:0 " ..
               "--journal %s --key-file %s %s >%s 2>%s"):format(
    q(S.REEL), q(journal), q(key_file), extra or "", q(r.out), q(r.err))
  -- The subshell waits for timeout(1) and keeps its status; timeout passes
  -- SIGTERM on to reel and exits with reel's status.
  local h = assert(io.popen(("(%s & echo $! >%s; wait $!; echo $? >%s) >/dev/null 2>&1 &"):format(
    cmd, q(dir .. "/tpid"), q(r.rc))))
  h:close()
  assert.is_true(wait_for(function()
    r.port = tonumber(((slurp(r.out) or ""):match("listening on http://127%.0%.0%.1:(%d+)/")))
    return r.port ~= nil
  end, 20), "reel callbacks did not start: " .. (slurp(r.err) or ""))
  r.tpid = tonumber(slurp(dir .. "/tpid"))
  local _, out = sh("ps -o pid= --ppid " .. r.tpid)
  r.pid = tonumber(out:match("%d+"))
  return r
end

local function stop_receiver(r, signal)
  if not r or r.stopped then return end
  sh(("kill -%s %d 2>/dev/null"):format(signal or "TERM", r.pid))
  wait_for(function() return slurp(r.rc) ~= nil end, 10)
  r.stopped = true
  return tonumber(slurp(r.rc) or "")
end

local function log_of(r) return slurp(r.err) or "" end

---------------------------------------------------------------------------
-- Signed POSTs with curl and openssl
---------------------------------------------------------------------------

local function http_date(t) return os.date("!%a, %d %b %Y %H:%M:%S GMT", t) end

local nonce_n = 0
local function new_nonce()
  nonce_n = nonce_n + 1
  return ("nonce-%d-%d"):format(os.time(), nonce_n)
end

-- §12.2 with the openssl CLI: base64(HMAC-SHA256(key, signing string)).
local function sign(key, path, query, date, nonce)
  local s = "POST\n" .. path .. "\n" .. query .. "\nvidu\n" .. date .. "\n" ..
            "Date:" .. date .. "\n" .. "x-request-nonce:" .. nonce .. "\n"
  local f = S.newdir("sign") .. "/s"
  write_file(f, s)
  local code, out, err = sh(("openssl dgst -sha256 -hmac %s -binary %s | base64 -w0"):format(q(key), q(f)))
  assert.are.equal(0, code, err)
  return S.trim(out)
end

-- opts: path ("/vidu/callback"), query (""), date (now), nonce (new), key
-- (KEY), signature (computed), body (a table or text), no = {header = true}
-- to leave one out, access_key ("vidu"). Returns status, body text and the
-- headers sent.
local function post(r, opts)
  opts = opts or {}
  local path, query = opts.path or "/vidu/callback", opts.query or ""
  local date = opts.date or http_date(os.time())
  local nonce = opts.nonce or new_nonce()
  local headers = {
    ["Date"] = date,
    ["x-request-nonce"] = nonce,
    ["X-HMAC-SIGNED-HEADERS"] = "Date;x-request-nonce",
    ["X-HMAC-SIGNATURE"] = opts.signature or sign(opts.key or KEY, path, query, date, nonce),
    ["X-HMAC-ALGORITHM"] = "hmac-sha256",
    ["X-HMAC-ACCESS-KEY"] = opts.access_key or "vidu",
  }
  local dir = S.newdir("post")
  local args = { "curl -s --max-time 10 -X POST -o", q(dir .. "/answer"), "-w '%{http_code}'",
                 "-H 'Content-Type: application/json'" }
  for name, value in pairs(headers) do
    if not (opts.no or {})[name] then args[#args + 1] = "-H " .. q(name .. ": " .. value) end
  end
  local body = opts.body or { id = "unknown-task", state = "processing" }
  write_file(dir .. "/body", type(body) == "table" and json.encode(body) or body)
  args[#args + 1] = "--data-binary @" .. q(dir .. "/body")
  local url = ("http://127.0.0.1:%d%s%s"):format(r.port, path, query ~= "" and "?" .. query or "")
  args[#args + 1] = q(url)
  local code, out, err = sh(table.concat(args, " "))
  assert.are.equal(0, code, "curl: " .. err)
  return tonumber(out), slurp(dir .. "/answer") or "", headers
end

-- The log holds none of the secret parts of what was sent.
local function assert_no_secrets(r, sent)
  local log = log_of(r)
  assert.is_nil(log:find(KEY, 1, true), "the key is not logged")
  for _, headers in ipairs(sent) do
    assert.is_nil(log:find(headers["X-HMAC-SIGNATURE"], 1, true), "no signature in the log")
  end
end

---------------------------------------------------------------------------

describe("reel callbacks", function()
  strict_teardown(function() S.cleanup() end)

  it("without --listen is a usage error with status 2", function()
    local code, _, err = sh(q(S.REEL) .. " callbacks")
    assert.are.equal(2, code)
    assert.truthy(err:find("--listen", 1, true), err)
  end)

  it("without a key says so with status 2", function()
    local code, _, err = sh(("env -u VIDU_API_KEY %s callbacks --listen 127.0.0.1:0 --journal %s"):format(
      q(S.REEL), q(S.newdir("nokey") .. "/j.db")))
    assert.are.equal(2, code)
    assert.truthy(err:find("VIDU_API_KEY", 1, true), err)
  end)

  describe("with a real simulator", function()
    local sim, r, journal
    strict_setup(function()
      journal = init_journal(S.newdir("sim-journal") .. "/journal.db")
      sim = S.start_sim{ speed = 40, key = KEY }
      r = start_receiver(journal)
    end)
    strict_teardown(function()
      S.stop_sim(sim)
      stop_receiver(r)
    end)

    it("verifies the callbacks of a task a script created and records success in its row", function()
      local url = ("http://127.0.0.1:%d/vidu/callback?name=james&age=36"):format(r.port)
      local run = S.reel(sim, ([[
local clip = vidu.text2video{ model = "viduq2", prompt = "call me back", duration = 1,
                              callback_url = %s }:wait()
emit{ task_id = clip.task_id }
]]):format(S.lit(url)), { args = "--journal " .. q(journal) })
      assert.are.equal(0, run.code, S.show(run))
      local task_id = assert(run.results[1] and run.results[1].task_id, S.show(run))
      local accepted = "task=" .. task_id .. " accepted success"
      assert.is_true(wait_for(function() return log_of(r):find(accepted, 1, true) ~= nil end, 15),
                     "the success callback was accepted: " .. log_of(r))
      local log = log_of(r)
      assert.truthy(log:find("task=" .. task_id .. " accepted processing", 1, true), log)
      assert.is_nil(log:find("refused", 1, true), log)
      assert.truthy(log:find("journal row", 1, true), log)
      local row = row_of(journal, task_id)
      assert.are.equal("success", row.state)
      assert.matches("^https?://", row.url)
      assert.is_nil(log:find(KEY, 1, true), "the key is not logged")
    end)
  end)

  describe("refusals", function()
    local r, journal
    local sent = {}
    strict_setup(function()
      journal = init_journal(S.newdir("journal") .. "/journal.db")
      r = start_receiver(journal, "--max-skew 60")
    end)
    strict_teardown(function() stop_receiver(r) end)

    it("records an accepted callback's state, credits and result in the task's row", function()
      insert_task(journal, "task-ok", "processing")
      local status, answer, headers = post(r, { body = {
        id = "task-ok", state = "success", credits = 20, err_code = "",
        creations = { { id = "creation-1", url = "https://files.example/x.mp4",
                        cover_url = "https://files.example/x.jpg" } } } })
      sent[#sent + 1] = headers
      assert.are.equal(200, status, answer)
      local row = row_of(journal, "task-ok")
      assert.are.equal("success", row.state)
      assert.are.equal(20, row.credits)
      assert.are.equal("https://files.example/x.mp4", row.url)
      assert.are.equal("https://files.example/x.jpg", row.cover_url)
      assert.are.equal("creation-1", row.creation_id)
      assert.are.same({ "success" }, states_of(journal, "task-ok"))
      assert.truthy(log_of(r):find("task=task-ok accepted success -> journal row", 1, true), log_of(r))
      -- A late processing never undoes a finished task.
      status, answer, headers = post(r, { body = { id = "task-ok", state = "processing" } })
      sent[#sent + 1] = headers
      assert.are.equal(200, status, answer)
      assert.are.equal("success", row_of(journal, "task-ok").state)
      -- A failure with its code.
      insert_task(journal, "task-failed", "queueing")
      status = post(r, { body = { id = "task-failed", state = "failed", err_code = "UserCancelled", credits = 0 } })
      assert.are.equal(200, status)
      local failed = row_of(journal, "task-failed")
      assert.are.equal("failed", failed.state)
      assert.are.equal("UserCancelled", failed.err_code)
    end)

    it("answers an unknown task 200 and logs it as unknown", function()
      local status, answer = post(r, { body = { id = "nobody-knows", state = "success" } })
      assert.are.equal(200, status, answer)
      assert.truthy(log_of(r):find("task=nobody-knows accepted success (unknown task", 1, true), log_of(r))
    end)

    it("refuses a forged signature with 401 and leaves the row alone", function()
      insert_task(journal, "task-forged", "processing")
      local body = { id = "task-forged", state = "failed", err_code = "Forged" }
      local status, answer, headers = post(r, { key = "not-the-key", body = body })
      sent[#sent + 1] = headers
      assert.are.equal(401, status, answer)
      assert.are.equal("Unauthorized", json.decode(answer).reason)
      assert.truthy(log_of(r):find("refused 401 forged: the signature does not match", 1, true), log_of(r))
      status = post(r, { no = { ["X-HMAC-SIGNATURE"] = true }, body = body })
      assert.are.equal(401, status)
      assert.truthy(log_of(r):find("refused 401 forged: no X-HMAC-SIGNATURE", 1, true), log_of(r))
      -- The signature covers the path and the query.
      local date, nonce = http_date(os.time()), new_nonce()
      status = post(r, { path = "/other", date = date, nonce = nonce, body = body,
                         signature = sign(KEY, "/vidu/callback", "", date, nonce) })
      assert.are.equal(401, status)
      status = post(r, { access_key = "secret-access-key-value", body = body })
      assert.are.equal(401, status)
      assert.is_nil(log_of(r):find("secret-access-key-value", 1, true), "no access key header in the log")
      assert.are.equal("processing", row_of(journal, "task-forged").state)
    end)

    it("refuses a replayed nonce with 401", function()
      local date, nonce = http_date(os.time()), new_nonce()
      local status, answer, headers = post(r, { date = date, nonce = nonce })
      sent[#sent + 1] = headers
      assert.are.equal(200, status, answer)
      status, answer = post(r, { date = date, nonce = nonce })
      assert.are.equal(401, status, answer)
      assert.truthy(log_of(r):find("refused 401 replayed: the nonce was seen before", 1, true), log_of(r))
    end)

    it("refuses a stale or missing Date with 401", function()
      local status, answer, headers = post(r, { date = http_date(os.time() - 600) })
      sent[#sent + 1] = headers
      assert.are.equal(401, status, answer)
      assert.truthy(log_of(r):find("refused 401 stale: Date is 60%d s from now %(%-%-max%-skew 60%)"), log_of(r))
      status = post(r, { date = http_date(os.time() + 600) })
      assert.are.equal(401, status)
      status = post(r, { no = { Date = true } })
      assert.are.equal(401, status)
      assert.truthy(log_of(r):find("refused 401 stale: no Date header", 1, true), log_of(r))
    end)

    it("refuses a malformed body with 400 (§13.1 BadRequest)", function()
      local status, answer, headers = post(r, { body = "this is not json" })
      sent[#sent + 1] = headers
      assert.are.equal(400, status, answer)
      assert.are.equal("BadRequest", json.decode(answer).reason)
      assert.truthy(log_of(r):find("refused 400 malformed: the body is not a JSON object", 1, true), log_of(r))
      status = post(r, { body = { state = "success" } })
      assert.are.equal(400, status)
      assert.truthy(log_of(r):find("refused 400 malformed: no task id", 1, true), log_of(r))
      status = post(r, { body = { id = "task-x" } })
      assert.are.equal(400, status)
      assert.truthy(log_of(r):find("task=task-x refused 400 malformed: no known state", 1, true), log_of(r))
    end)

    it("never logs the key or a signature, and stops with status 0 on SIGTERM", function()
      assert.is_true(#sent >= 4)
      assert_no_secrets(r, sent)
      assert.are.equal(0, stop_receiver(r, "TERM"))
    end)
  end)

  it("stops with status 0 on SIGINT", function()
    local journal = init_journal(S.newdir("sigint") .. "/journal.db")
    local r = start_receiver(journal)
    assert.are.equal(0, stop_receiver(r, "INT"))
    assert.truthy((slurp(r.out) or ""):find("stopped", 1, true))
  end)
end)
