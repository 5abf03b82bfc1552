-- The API key goes into the Authorization header and nowhere else: not in
-- stdout or stderr (progress lines, warnings, error messages of successes,
-- failed tasks, 401s and refused settings), not in any file reel writes.
-- Searched for as is, Base64-encoded (at every alignment) and
-- percent-encoded. Also: --key-file works with the key only in a file, and a
-- missing key is NoApiKey without anything secret in the message.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local KEY = "sk-reel-SECRET-4f9a21"
local WRONG = "sk-reel-WRONG-77c0e3"

-- The forms a key could take in a log: itself, Base64 of any text holding it
-- (the 4-character groups that depend only on the key's bytes, for each of
-- the three alignments), and percent-encoded (every byte, both cases).
local function forms(key)
  local out = { key }
  for off = 0, 2 do
    local code, b64 = S.sh(("printf %%s %s | base64 -w0"):format(S.q(("x"):rep(off) .. key)))
    assert(code == 0)
    local groups = {}
    local g = math.ceil(off / 3)
    while 3 * g + 3 <= off + #key do
      groups[#groups + 1] = b64:sub(4 * g + 1, 4 * g + 4)
      g = g + 1
    end
    out[#out + 1] = table.concat(groups)
  end
  out[#out + 1] = (key:gsub(".", function(c) return ("%%%02X"):format(c:byte()) end))
  out[#out + 1] = (key:gsub(".", function(c) return ("%%%02x"):format(c:byte()) end))
  out[#out + 1] = (key:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
  return out
end

local runs = {}  -- every reel run of this file, for the final search

local function run(sim, script, opts)
  local r = S.reel(sim, script, opts)
  runs[#runs + 1] = r
  return r
end

-- Where a form of a key shows: "stdout of run N", "file F", or nil.
local function leak(key, root)
  for _, form in ipairs(forms(key)) do
    for i, r in ipairs(runs) do
      if r.out:find(form, 1, true) then return ("stdout of run %d (%s)"):format(i, form) end
      if r.err:find(form, 1, true) then return ("stderr of run %d (%s)"):format(i, form) end
    end
    local code, files = S.sh(("grep -r -a -l -F -e %s %s"):format(S.q(form), S.q(root)))
    if code == 0 then return "files (" .. form .. "): " .. files end
  end
end

describe("reel run against reel sim: the key never shows", function()
  strict_teardown(function() S.cleanup() end)

  -- Key files live apart from the folders that are searched: they hold the key.
  local keydir
  strict_setup(function() keydir = S.trim(select(2, S.sh("mktemp -d /tmp/reel-client-e2e-keys.XXXXXX"))) end)
  strict_teardown(function() if keydir then os.execute("rm -rf " .. S.q(keydir)) end end)

  local sim, failing
  strict_setup(function()
    sim = S.start_sim{ speed = 40, key = KEY }
    failing = S.start_sim{ speed = 40, key = KEY, faults = "fail=1" }
  end)
  strict_teardown(function() S.stop_sim(sim); S.stop_sim(failing) end)

  local SHOT = [[{ model = "viduq2", prompt = "a secret garden", duration = 1, resolution = "540p",
                   aspect_ratio = "16:9" }]]

  it("a success (with progress lines), a local error and the balance", function()
    local r = run(sim, ([[
local c = vidu.text2video(%s):wait()
emit{ clip = clip_info(c) }
emit{ credits = (vidu.credits()) }
local ok, err = pcall(vidu.text2video, { model = "viduq2", prompt = "x", duration = 77 })
emit{ error = fail_info(err) }
]]):format(SHOT), { env = { REEL_QUIET = "0" }, loud = true })
    assert.are.equal(0, r.code, S.show(r))
    assert.is_table(r.results[1].clip, S.show(r))
    assert.truthy(r.err:find("done", 1, true), "progress lines were printed: " .. r.err)
  end)

  it("Vtrix (Bearer) too", function()
    local r = run(sim, ("emit{ clip = clip_info(vidu.text2video(%s):wait()) }\n"):format(SHOT),
                  { dialect = "vtrix", loud = true })
    assert.are.equal(0, r.code, S.show(r))
  end)

  it("a failed task, caught and uncaught", function()
    local r = run(failing, ([[
local t = vidu.text2video(%s)
local ok, err = pcall(t.wait, t)
emit{ error = fail_info(err) }
vidu.text2video(%s):wait()
]]):format(SHOT, SHOT), { loud = true })
    assert.are.equal(3, r.code, S.show(r))
    assert.are.equal("TaskFailed", r.results[1].error.code)
  end)

  it("a wrong key: 401 Unauthorized, in both dialects", function()
    for _, dialect in ipairs{ "vidu", "vtrix" } do
      local r = run(sim, ([[
local t = vidu.text2video(%s)
local ok, err = pcall(t.wait, t)
emit{ error = fail_info(err) }
t:wait()
]]):format(SHOT), { key = WRONG, dialect = dialect, loud = true })
      assert.are_not.equal(0, r.code, S.show(r))
      local e = r.results[1].error
      -- Vtrix repeats the status as its error code; the client names it as
      -- the official dialect does, so scripts test err.code one way.
      assert.are.equal("Unauthorized", e.code, S.show(r))
      assert.are.equal(401, e.http_status)
      assert.truthy(e.message:find("VIDU_API_KEY", 1, true) or e.message:find("key", 1, true), e.message)
      -- Nothing was created, so its progress line names no credits.
      local line = r.err:match("[^\n]*failed[^\n]*Unauthorized[^\n]*")
      assert.truthy(line, r.err)
      assert.is_nil(line:find("credits", 1, true), line)
    end
  end)

  it("--key-file: the key only in a file", function()
    local file = keydir .. "/vidu.key"
    S.write_file(file, KEY .. "\n")
    local r = run(sim, ("emit{ clip = clip_info(vidu.text2video(%s):wait()) }\n"):format(SHOT),
                  { key = false, key_file = file })
    assert.are.equal(0, r.code, S.show(r))
    S.assert_clip(r.results[1].clip, { duration = 1, size = { 960, 528 } })
  end)

  it("no key: NoApiKey, saying where a key goes and nothing secret", function()
    local blank = keydir .. "/blank.key"
    S.write_file(blank, "\n" .. KEY .. "\n")  -- the key on the second line is not used
    local cases = {
      { key = false },
      { key = false, key_file = keydir .. "/missing.key" },
      { key = false, key_file = blank },
    }
    for i, opts in ipairs(cases) do
      local r = run(sim, [[
local ok, err = pcall(vidu.credits)
emit{ error = fail_info(err) }
vidu.text2video{ model = "viduq2", prompt = "x", duration = 1 }
]], opts)
      assert.are.equal(1, r.code, "case " .. i .. ": " .. S.show(r))
      local e = r.results[1].error
      assert.are.equal("NoApiKey", e.code, "case " .. i .. ": " .. S.show(r))
      assert.truthy(e.message:find("VIDU_API_KEY", 1, true) or e.message:find("key file", 1, true), e.message)
      assert.truthy(r.err:find(e.message, 1, true), "the uncaught error says the same: " .. r.err)
    end
    assert.are.equal(3, S.tasks_created(S.stats(sim)), "only the three shots with the right key made tasks")
  end)

  it("no form of either key appears in any output or file", function()
    assert.is_true(#runs >= 8, "the runs above happened")
    local root = S.tmpdir()
    assert.is_nil(leak(KEY, root))
    assert.is_nil(leak(WRONG, root))
    -- The search itself finds what it looks for.
    local probe = S.newdir("probe")
    S.write_file(probe .. "/b64.txt", select(2, S.sh(("printf 'Token %%s' %s | base64 -w0"):format(S.q(KEY)))))
    assert.is_string(leak(KEY, probe), "Base64 of 'Token KEY' is found")
    S.sh("rm -rf " .. S.q(probe))
  end)
end)
