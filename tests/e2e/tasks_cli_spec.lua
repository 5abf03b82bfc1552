-- `reel tasks` end to end (issue 6): the real binary reads journals made with
-- reel's own schema (journal_init, host/journal) and filled with the sqlite3
-- CLI, and cancels against a real `reel sim` process whose tasks are started
-- with the curl CLI. Checked: the table, --limit/--all, --json (every
-- column, never the key), show by row id and by task id, the messages for a
-- missing or empty journal and an unknown ID, the usage errors, cancel's
-- refusals, and a cancel the simulator and the journal both record.
--
-- Runs under the reference interpreter: busted --lua=lua5.4, with REEL the
-- reel binary and REEL_JOURNAL_INIT the journal_init program (ctest
-- tasks_cli sets both). Built on tests/e2e/client/support.lua (the simulator
-- process, shell and folder helpers), which it requires by path.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"

local INIT = os.getenv("REEL_JOURNAL_INIT")
if not S.configured or not INIT or INIT == "" then
  describe("reel tasks", function()
    pending("REEL and REEL_JOURNAL_INIT are not set: run through ctest (tasks_cli)")
  end)
  return
end
S.bind{ assert = assert }

local json, q, sh = S.json, S.q, S.sh

---------------------------------------------------------------------------
-- Journals
---------------------------------------------------------------------------

local init_journal, sql = S.init_journal, S.sqlite

local function sql_json(path, query)
  local out = sql(path, query, "-json")
  if out:match("^%s*$") then return {} end
  return json.decode(out)
end

local function lit(v)
  if v == nil then return "NULL" end
  if type(v) == "number" then return tostring(v) end
  return "'" .. tostring(v):gsub("'", "''") .. "'"
end

local NOW = os.time()
local key_n = 0

-- Inserts one call (columns of host/journal's calls table; `age` in seconds
-- sets created_at, updated_at a little later) and its states ({state, at}
-- pairs, at relative to created_at); returns its row id.
local function insert(path, row)
  key_n = key_n + 1
  local created = NOW - (row.age or 60)
  local cols = {
    key = "call-" .. key_n, script = "/work/board.lua", shot = "", kind = "text2video",
    model = "viduq2", request = "{}", dialect = "vidu", base_url = "http://127.0.0.1:9",
    payload = "reel:" .. key_n, task_id = "", state = "submitting", err_code = "",
    created_at = created, updated_at = created + 1,
  }
  for k, v in pairs(row) do
    if k ~= "age" and k ~= "states" then cols[k] = v end
  end
  local names, values = {}, {}
  for k, v in pairs(cols) do
    names[#names + 1] = k
    values[#values + 1] = lit(v)
  end
  local out = sql(path, ("INSERT INTO calls (%s) VALUES (%s); SELECT last_insert_rowid();"):format(
    table.concat(names, ", "), table.concat(values, ", ")))
  local id = tonumber(out:match("%d+"))
  for _, s in ipairs(row.states or {}) do
    sql(path, ("INSERT INTO states (call_id, state, at) VALUES (%d, %s, %s)"):format(
      id, lit(s[1]), lit(created + s[2])))
  end
  return id
end

local function call(path, id)
  return sql_json(path, "SELECT * FROM calls WHERE id = " .. id)[1]
end

local function states(path, id)
  local seen = {}
  for _, s in ipairs(sql_json(path, "SELECT state FROM states WHERE call_id = " .. id .. " ORDER BY rowid")) do
    seen[#seen + 1] = s.state
  end
  return seen
end

---------------------------------------------------------------------------
-- reel tasks
---------------------------------------------------------------------------

local SECRET = "tasks-cli-secret-key"

-- Runs `reel tasks ARGS` in `dir` with a clean environment (plus opts.env);
-- returns { code, out, err }.
local function tasks(dir, args, env)
  local vars = { "env", "-u VIDU_API_KEY", "-u REEL_KEY_FILE", "-u VIDU_DIALECT", "-u VIDU_BASE_URL",
                 "-u REEL_JOURNAL", "-u REEL_TIME_SCALE", "-u REEL_OUT" }
  for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. q(v) end
  local code, out, err = sh(("cd %s && %s timeout -k 5 60 %s tasks %s"):format(
    q(dir), table.concat(vars, " "), q(S.REEL), args))
  return { code = code, out = out, err = err }
end

local function show(r)
  return ("exit %s\n--- stdout\n%s--- stderr\n%s"):format(tostring(r.code), r.out, r.err)
end

-- The table's rows as lists of cells (two or more spaces apart), header first.
local function table_rows(out)
  local rows = {}
  for line in out:gmatch("[^\n]+") do
    if not line:match("^%(") then
      local cells = {}
      for cell in (line .. "  "):gmatch("(.-)%s%s+") do cells[#cells + 1] = cell end
      rows[#rows + 1] = cells
    end
  end
  return rows
end

local function has(text, piece) return text:find(piece, 1, true) ~= nil end

local function sha256(path)
  return (select(2, sh("sha256sum " .. q(path)))):match("^(%x+)")
end

---------------------------------------------------------------------------
-- The specs
---------------------------------------------------------------------------

describe("reel tasks", function()
  strict_teardown(function() S.cleanup() end)

  it("says when nothing has been recorded, and makes no journal by looking", function()
    local dir = S.newdir("none")
    local r = tasks(dir, "")
    assert.are.equal(0, r.code, show(r))
    assert.truthy(has(r.out, "no journal at .reel/journal.db: nothing has been recorded yet"), show(r))
    r = tasks(dir, "list --json")
    assert.are.equal(0, r.code, show(r))
    assert.are.same({}, json.decode(r.out), show(r))
    assert.truthy(has(r.err, "nothing has been recorded yet"), show(r))
    assert.is_false(S.exists(dir .. "/.reel"), "listing made no journal")

    -- REEL_JOURNAL names the journal when --journal does not.
    r = tasks(dir, "", { REEL_JOURNAL = dir .. "/elsewhere.db" })
    assert.truthy(has(r.out, "no journal at " .. dir .. "/elsewhere.db"), show(r))

    init_journal(dir .. "/empty.db")
    r = tasks(dir, "--journal empty.db")
    assert.are.equal(0, r.code, show(r))
    assert.truthy(has(r.out, "the journal empty.db is empty: nothing has been recorded yet"), show(r))

    sql(dir .. "/other.db", "CREATE TABLE t (a)")
    r = tasks(dir, "--journal other.db")
    assert.are.equal(1, r.code, show(r))
    assert.truthy(has(r.err, "other.db") and has(r.err, "is it a reel journal?"), show(r))
  end)

  describe("with a journal", function()
    local dir, path
    local done, busy, fresh, cancelled
    strict_setup(function()
      dir = S.newdir("journal")
      path = init_journal(dir .. "/.reel/journal.db")
      done = insert(path, {
        age = 5 * 86400 + 30, shot = "open", model = "viduq2", task_id = "865771234567890001",
        state = "success", credits = 20, file = dir .. "/out/open-865771234567890001.mp4",
        file_sha256 = ("ab"):rep(32), duration = 5.041667, width = 1280, height = 720, fps = 24,
        url = "https://files.example/open.mp4?sig=1", creation_id = "8657712345678900011",
        request = 'text2video {"duration":5,"model":"viduq2","prompt":"a lighthouse at dawn"}',
        states = { { "submitting", 0 }, { "created", 1 }, { "queueing", 2 }, { "processing", 10 },
                   { "success", 40 } },
      })
      busy = insert(path, {
        age = 2 * 3600 + 30, shot = "push", kind = "extend", model = "viduq2-pro",
        task_id = "865771234567890002", state = "processing", owner = "elsewhere.example:1:1",
        states = { { "submitting", 0 }, { "created", 1 }, { "processing", 5 } },
      })
      fresh = insert(path, { age = 3 * 60 + 30, shot = "dusk", state = "submitting",
                             states = { { "submitting", 0 } } })
      cancelled = insert(path, {
        age = 10 * 60 + 30, shot = "keeper", task_id = "865771234567890004", state = "failed",
        err_code = "UserCancelled", credits = 0,
        states = { { "submitting", 0 }, { "created", 1 }, { "failed", 3 } },
      })
    end)

    it("lists the calls most recent first, in a table a person reads", function()
      local before = sha256(path)
      local r = tasks(dir, "", { VIDU_API_KEY = SECRET })
      assert.are.equal(0, r.code, show(r))
      local rows = table_rows(r.out)
      assert.are.same({ "ID", "TASK", "STATE", "SHOT", "MODEL", "CREDITS", "AGE", "FILE" }, rows[1], show(r))
      assert.are.equal(5, #rows, show(r))
      assert.are.same({ tostring(fresh), "-", "submitting", "dusk", "viduq2", "-", "3 m", "-" }, rows[2],
                      show(r))
      assert.are.same({ tostring(cancelled), "865771234567890004", "failed (UserCancelled)", "keeper",
                        "viduq2", "0", "10 m", "-" }, rows[3])
      assert.are.same({ tostring(busy), "865771234567890002", "processing", "push", "viduq2-pro", "-",
                        "2 h", "-" }, rows[4])
      assert.are.same({ tostring(done), "865771234567890001", "success", "open", "viduq2", "20", "5 d",
                        "open-865771234567890001.mp4" }, rows[5])
      assert.is_false(has(r.out .. r.err, SECRET))
      assert.are.equal(before, sha256(path), "listing left the journal as it was")

      -- The same through list, --journal and REEL_JOURNAL, from elsewhere.
      local other = S.newdir("elsewhere")
      assert.are.equal(r.out, tasks(other, "list --journal " .. q(path)).out)
      assert.are.equal(r.out, tasks(other, "", { REEL_JOURNAL = path }).out)
    end)

    it("shows the most recent N with --limit, and every call with --all", function()
      local many = init_journal(S.newdir("many") .. "/j.db")
      sql(many, [[
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
INSERT INTO calls (key, shot, state, created_at, updated_at)
SELECT 'k' || i, 'shot' || i, 'success', ]] .. NOW .. [[ - 1000 + i, ]] .. NOW .. [[ FROM n;]])
      local r = tasks(dir, "--journal " .. q(many))
      assert.are.equal(0, r.code, show(r))
      local rows = table_rows(r.out)
      assert.are.equal(51, #rows, show(r))
      assert.are.equal("shot60", rows[2][4])
      assert.are.equal("shot11", rows[51][4])
      assert.truthy(has(r.out, "the 50 most recent calls; --all lists every one"), show(r))
      r = tasks(dir, "--limit 3 --journal " .. q(many))
      rows = table_rows(r.out)
      assert.are.equal(4, #rows, show(r))
      assert.are.equal("shot58", rows[4][4])
      r = tasks(dir, "list --all --journal " .. q(many))
      rows = table_rows(r.out)
      assert.are.equal(61, #rows, show(r))
      assert.is_false(has(r.out, "most recent calls"), show(r))
      assert.are.equal(60, #json.decode(tasks(dir, "--all --json --journal " .. q(many)).out))
      assert.are.equal(7, #json.decode(tasks(dir, "--json --limit 7 --journal " .. q(many)).out))
    end)

    it("lists every column with --json, times in Unix seconds, never the key", function()
      local r = tasks(dir, "--json", { VIDU_API_KEY = SECRET })
      assert.are.equal(0, r.code, show(r))
      local list = json.decode(r.out)
      assert.are.equal(4, #list, show(r))
      local columns = {}
      for _, c in ipairs(sql_json(path, "SELECT name FROM pragma_table_info('calls')")) do
        columns[#columns + 1] = c.name
      end
      columns[#columns + 1] = "request_body"
      table.sort(columns)
      for _, item in ipairs(list) do
        local keys = {}
        for k in pairs(item) do keys[#keys + 1] = k end
        -- dkjson leaves JSON null out of a decoded object.
        if item.credits == nil then keys[#keys + 1] = "credits" end
        if item.request_body == nil then keys[#keys + 1] = "request_body" end
        table.sort(keys)
        assert.are.same(columns, keys)
      end
      local d = list[4]
      assert.are.equal(done, d.id)
      assert.are.equal("865771234567890001", d.task_id)
      assert.are.equal(20, d.credits)
      assert.are.equal('text2video {"duration":5,"model":"viduq2","prompt":"a lighthouse at dawn"}', d.request)
      assert.are.same({ duration = 5, model = "viduq2", prompt = "a lighthouse at dawn" }, d.request_body)
      assert.are.equal(("ab"):rep(32), d.file_sha256)
      assert.are.equal(1280, d.width)
      assert.is_true(math.abs(d.created_at - (NOW - 5 * 86400 - 30)) < 1, tostring(d.created_at))
      assert.is_nil(list[3].credits, "unknown credits are null")
      assert.is_false(has(r.out .. r.err, SECRET))
    end)

    it("shows one call by row id or by task id: every field, the states, the request", function()
      local r = tasks(dir, "show " .. done)
      assert.are.equal(0, r.code, show(r))
      for _, piece in ipairs{
        "id           " .. done, "task_id      865771234567890001", "state        success",
        "shot         open", "model        viduq2", "credits      20",
        "file         " .. dir .. "/out/open-865771234567890001.mp4",
        "file_sha256  " .. ("ab"):rep(32), "creation_id  8657712345678900011",
        "url          https://files.example/open.mp4?sig=1", "duration     5.04167",
        "width        1280", "base_url     http://127.0.0.1:9", "(5 d ago)",
        'request (text2video)\n  {\n', '    "prompt": "a lighthouse at dawn"',
      } do
        assert.truthy(has(r.out, piece), piece .. "\n" .. show(r))
      end
      local seen = {}
      for state, rest in r.out:match("states seen\n(.-)\n\n"):gmatch("  (%a+)%s+(%d[^\n]*)") do
        seen[#seen + 1] = state
        assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d", rest)
      end
      assert.are.same({ "submitting", "created", "queueing", "processing", "success" }, seen, show(r))
      assert.truthy(has(r.out, "(+40.0 s)"), show(r))

      local by_task = tasks(dir, "show 865771234567890001")
      assert.are.equal(r.out:gsub("%(%d+ %a ago%)", ""), by_task.out:gsub("%(%d+ %a ago%)", ""))

      r = tasks(dir, "show " .. busy .. " --json")
      assert.are.equal(0, r.code, show(r))
      local c = json.decode(r.out)
      assert.are.equal("processing", c.state)
      assert.are.equal("elsewhere.example:1:1", c.owner)
      assert.are.equal(3, #c.states)
      assert.are.equal("processing", c.states[3].state)
      assert.is_true(math.abs(c.states[3].at - (NOW - 2 * 3600 - 30 + 5)) < 1)
      assert.truthy(has(tasks(dir, "show " .. busy).out, "elsewhere.example:1:1 (running)"))
    end)

    it("names the ID and the journal when it holds no such call (exit 1)", function()
      for _, action in ipairs{ "show", "cancel" } do
        local r = tasks(dir, action .. " 4242")
        assert.are.equal(1, r.code, show(r))
        assert.truthy(has(r.err, "the journal .reel/journal.db holds no call 4242"), show(r))
        r = tasks(dir, action .. " 7 --journal missing.db")
        assert.are.equal(1, r.code, show(r))
        assert.truthy(has(r.err, "no journal at missing.db"), show(r))
      end
      assert.is_false(S.exists(dir .. "/missing.db"))
    end)

    it("answers a malformed command line with status 2", function()
      for _, args in ipairs{ "show", "cancel", "show 1 --limit 3", "cancel 1 --all", "frobnicate",
                             "--limit 0", "--dialect nope cancel 1" } do
        local r = tasks(dir, args)
        assert.are.equal(2, r.code, args .. "\n" .. show(r))
      end
    end)

    it("refuses to cancel what has no remote task, has ended, or was made elsewhere", function()
      local before = sha256(path)
      local env = { VIDU_API_KEY = SECRET, VIDU_BASE_URL = "http://127.0.0.1:9" }
      local r = tasks(dir, "cancel " .. fresh, env)
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "has no remote task yet (state submitting)"), show(r))
      r = tasks(dir, "cancel 865771234567890001", env)
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "has already ended in state success"), show(r))
      r = tasks(dir, "cancel " .. cancelled .. " --json", env)
      assert.are.equal(1, r.code, show(r))
      local v = json.decode(r.out)
      assert.is_false(v.cancelled)
      assert.are.equal("Ended", v.code)
      assert.truthy(has(v.message, "failed (UserCancelled)"), r.out)
      r = tasks(dir, "cancel " .. busy, { VIDU_API_KEY = SECRET, VIDU_BASE_URL = "http://127.0.0.1:8" })
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "was made at http://127.0.0.1:9 (vidu dialect)") and
                    has(r.err, "reel is set to http://127.0.0.1:8"), show(r))
      r = tasks(dir, "cancel " .. busy .. " --dialect vtrix", env)
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "(vtrix)"), show(r))
      r = tasks(dir, "cancel " .. busy, { VIDU_BASE_URL = "http://127.0.0.1:9" })
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "no API key"), show(r))
      assert.are.equal(before, sha256(path), "nothing was recorded")
    end)
  end)

  describe("cancel against reel sim", function()
    local sim
    -- Speed 1 and one task at a time: the first task processes for 16 s
    -- while the others queue behind it.
    strict_setup(function() sim = S.start_sim{ speed = 1, concurrency = 1 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    local function api(method, route, body)
      local args = { "curl -s --max-time 10 -X", method, "-H", q("Authorization: Token " .. sim.key),
                     "-H 'Content-Type: application/json'" }
      if body then args[#args + 1] = "-d " .. q(json.encode(body)) end
      args[#args + 1] = q(sim.base .. route)
      local code, out = sh(table.concat(args, " "))
      assert.are.equal(0, code, route)
      return json.decode(out), out
    end

    local function create()
      local t, raw = api("POST", "/ent/v2/text2video",
                         { model = "viduq2", prompt = "a lighthouse", duration = 8, resolution = "540p" })
      assert.is_string(t and t.task_id, raw)
      return t.task_id
    end

    local function remote(id) return api("GET", "/ent/v2/tasks/" .. id .. "/creations") end

    local function wait_state(id, want)
      for _ = 1, 200 do
        if remote(id).state == want then return end
        S.sleep(0.05)
      end
      error("task " .. id .. " never reached " .. want .. "; it is " .. tostring(remote(id).state))
    end

    it("cancels a queued task, and reports the refusal for one that is processing", function()
      local first, second = create(), create()
      wait_state(first, "processing")
      wait_state(second, "queueing")
      local dir = S.newdir("cancel")
      local path = init_journal(dir .. "/.reel/journal.db")
      -- The journal is behind: it still says queueing for the first task.
      local running = insert(path, { shot = "first", task_id = first, state = "queueing",
                                     base_url = sim.base, states = { { "submitting", 0 }, { "queueing", 1 } } })
      local queued = insert(path, { shot = "second", task_id = second, state = "queueing",
                                    base_url = sim.base .. "/", states = { { "submitting", 0 } } })
      local keyfile = dir .. "/key"
      S.write_file(keyfile, sim.key .. "\n")
      local env = { VIDU_BASE_URL = sim.base }

      local r = tasks(dir, "cancel " .. queued .. " --key-file " .. q(keyfile), env)
      assert.are.equal(0, r.code, show(r))
      assert.truthy(has(r.out, "task " .. second .. " was cancelled"), show(r))
      local t = remote(second)
      assert.are.equal("failed", t.state)
      assert.are.equal("UserCancelled", t.err_code)
      local c = call(path, queued)
      assert.are.equal("failed", c.state)
      assert.are.equal("UserCancelled", c.err_code)
      assert.are.equal(0, c.credits)
      assert.are.same({ "submitting", "failed" }, states(path, queued))

      r = tasks(dir, "cancel " .. first .. " --json", { VIDU_BASE_URL = sim.base, VIDU_API_KEY = sim.key })
      assert.are.equal(1, r.code, show(r))
      local v = json.decode(r.out)
      assert.is_false(v.cancelled, r.out)
      assert.are.equal("NotCancellable", v.code, r.out)
      assert.truthy(has(v.message, "task " .. first .. " is processing"), r.out)
      assert.is_nil(v.message:find("%.%s"), "one sentence: " .. v.message)
      assert.are.equal("processing", remote(first).state)
      assert.are.equal("queueing", call(path, running).state, "the refusal changed nothing")
      r = tasks(dir, "cancel " .. running, { VIDU_BASE_URL = sim.base, VIDU_API_KEY = sim.key })
      assert.are.equal(1, r.code, show(r))
      assert.truthy(has(r.err, "reel tasks cancel: task " .. first .. " is processing; "), show(r))

      -- A row the journal still holds as created, for a task the API says
      -- was cancelled: the API's word is recorded, and that is success.
      local stale = insert(path, { shot = "again", task_id = second, state = "created", base_url = sim.base })
      r = tasks(dir, "cancel " .. stale, { VIDU_BASE_URL = sim.base, VIDU_API_KEY = sim.key })
      assert.are.equal(0, r.code, show(r))
      assert.truthy(has(r.out, "was already cancelled"), show(r))
      assert.are.equal("UserCancelled", call(path, stale).err_code)

      for _, f in ipairs(S.ls(dir)) do
        assert.is_false(has(S.slurp(dir .. "/" .. f) or "", sim.key) and f ~= "key", f)
      end
      assert.is_false(has(r.out .. r.err, sim.key))
      assert.are.same({ ".reel", "key" }, S.ls(dir), "cancel downloaded nothing")
    end)

    it("lists and cancels what reel run recorded", function()
      local dir = S.newdir("run")
      -- One task at a time, busy for 16 s: the run's task queues behind it.
      local blocker = create()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "left in the queue", duration = 2,
                           resolution = "540p", name = "later" }
while not t.id do async.sleep(0.01) end
emit{ id = t.id }
]], { dir = dir })
      assert.are.equal(0, r.code, S.show(r))
      local id = r.results[1] and r.results[1].id
      assert.is_string(id, S.show(r))
      wait_state(id, "queueing")

      local t = tasks(dir, "")
      assert.are.equal(0, t.code, show(t))
      local rows = table_rows(t.out)
      assert.are.equal(2, #rows, show(t))
      assert.are.equal(id, rows[2][2], show(t))
      assert.are.equal("later", rows[2][4], show(t))
      local c = json.decode(tasks(dir, "show " .. id .. " --json").out)
      assert.are.equal(sim.base, c.base_url)
      assert.are.equal("left in the queue", c.request_body.prompt)

      t = tasks(dir, "cancel " .. rows[2][1], { VIDU_BASE_URL = sim.base, VIDU_API_KEY = sim.key })
      assert.are.equal(0, t.code, show(t))
      assert.are.equal("UserCancelled", remote(id).err_code)
      c = json.decode(tasks(dir, "show " .. id .. " --json").out)
      assert.are.equal("failed", c.state)
      assert.are.equal("UserCancelled", c.err_code)
      assert.are.equal("failed", c.states[#c.states].state)
      assert.are_not.equal("failed", remote(blocker).state, "only the one task was cancelled")
    end)
  end)
end)
