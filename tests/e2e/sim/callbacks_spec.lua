-- Callbacks (§12): pushed states, HMAC signatures (checked with openssl), retries.
--
-- Part of the conformance suite of `reel sim` in this folder; support.lua
-- holds the shared helpers and says how the suite is written and run.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end

S.bind{ assert = assert, it = it, pending = pending }
local KEY, sh_quote, slurp, write_file, run, sleep = S.KEY, S.sh_quote, S.slurp, S.write_file, S.run, S.sleep
local decode, tmpfile, start_sim, stop_sim, UNBUILT, http = S.decode, S.tmpfile, S.start_sim, S.stop_sim, S.UNBUILT, S.http
local create_ok, run_ok, list_has, expected_signature, wait_for, test = S.create_ok, S.run_ok, S.list_has, S.expected_signature, S.wait_for, S.test
local cleanup = S.cleanup

describe("reel sim conformance", function()
  -- Every simulator and receiver is stopped by its own block; this removes the
  -- downloads and captured requests.
  strict_teardown(function() cleanup() end)

  describe("reel sim callbacks (§12)", function()
    local sim
    local receivers = {}

    -- A tiny HTTP receiver in perl (perl-base): stores each request in DIR as
    -- req-NNNN.txt (head, blank line, body) and answers STATUS.
    local RECEIVER = [[
  use strict; use warnings; use IO::Socket::INET;
  my ($portfile, $dir, $status) = @ARGV;
  my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 64,
                                  ReuseAddr => 1, Proto => 'tcp') or die "listen: $!";
  open(my $pf, '>', "$portfile.tmp") or die; print $pf $srv->sockport, "\n"; close $pf;
  rename("$portfile.tmp", $portfile);
  my $n = 0;
  while (my $c = $srv->accept) {
    binmode $c; my $head = '';
    while (defined(my $line = <$c>)) { $head .= $line; last if $line =~ /^\r?\n$/; }
    if ($head =~ /^expect:\s*100-continue/mi) { print $c "HTTP/1.1 100 Continue\r\n\r\n"; }
    my $body = '';
    if ($head =~ /^content-length:\s*(\d+)/mi) {
      my $len = $1;
      while (length($body) < $len) { my $r = read($c, my $buf, $len - length($body)); last unless $r; $body .= $buf; }
    } elsif ($head =~ /^transfer-encoding:\s*chunked/mi) {
      while (defined(my $sz = <$c>)) { $sz =~ s/\r?\n$//; my $k = hex($sz); last if $k == 0;
        my $buf = ''; while (length($buf) < $k) { my $r = read($c, my $b2, $k - length($buf)); last unless $r; $buf .= $b2; }
        $body .= $buf; my $crlf = <$c>; }
    }
    $n++;
    my $f = sprintf("%s/req-%04d", $dir, $n);
    open(my $out, '>', "$f.tmp") or die; binmode $out; print $out $head, $body; close $out; rename("$f.tmp", "$f.txt");
    print $c "HTTP/1.1 $status X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    close $c;
  }
  ]]

    local function start_receiver(status)
      local n = #receivers + 1
      local dir = tmpfile("callbacks-" .. n)
      os.execute("mkdir -p " .. sh_quote(dir))
      local script = tmpfile("receiver.pl")
      write_file(script, RECEIVER)
      local portfile = dir .. ".port"
      local h = assert(io.popen(("timeout -k 5 1200 perl %s %s %s %d >%s.log 2>&1 & echo $!"):format(
        sh_quote(script), sh_quote(portfile), sh_quote(dir), status, sh_quote(dir))))
      local pid = tonumber(h:read("l")); h:close()
      local port
      for _ = 1, 100 do
        port = tonumber(slurp(portfile) or "")
        if port then break end
        sleep(0.05)
      end
      assert(port, "callback receiver did not start: " .. (slurp(dir .. ".log") or ""))
      local r = { pid = pid, port = port, dir = dir }
      receivers[n] = r
      return r
    end

    -- Reads the captured requests: { method, target, headers (lower-case name ->
    -- value), body, json }.
    local function received(r)
      local code, out = run("ls " .. sh_quote(r.dir) .. " | grep '^req-[0-9]*[.]txt$' | sort")
      local list = {}
      for name in out:gmatch("[^\n]+") do
        local text = slurp(r.dir .. "/" .. name)
        local head, body = text:match("^(.-)\r?\n\r?\n(.*)$")
        local method, target = head:match("^(%u+) (%S+) HTTP/1%.%d")
        local headers = {}
        for line in head:gmatch("[^\r\n]+") do
          local k, v = line:match("^([^:]+):%s*(.-)%s*$")
          if k then headers[k:lower()] = v end
        end
        list[#list + 1] = { method = method, target = target, headers = headers, body = body, json = decode(body) }
      end
      return list
    end

    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--speed 50 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function()
      stop_sim(sim)
      for _, r in ipairs(receivers) do run("kill " .. r.pid .. " 2>/dev/null") end
    end)

    test("processing and success are POSTed (§12.1: only processing/success/failed), in the query's shape, signed per §12.2", function()
      local r = start_receiver(200)
      local url = ("http://127.0.0.1:%d/vidu/callback?name=james&age=36"):format(r.port)
      local c, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "call me back", duration = 1,
                                                 callback_url = url, payload = "cb-payload" })
      local function has_success()
        for _, q in ipairs(received(r)) do if q.json and q.json.state == "success" then return true end end
      end
      assert.is_true(wait_for(has_success, 15), "a success callback arrives")
      local got = received(r)
      local states, nonces = {}, {}
      for _, q in ipairs(got) do
        assert.are.equal("POST", q.method)
        assert.are.equal("/vidu/callback?name=james&age=36", q.target)
        local h = q.headers
        assert.are.equal("hmac-sha256", h["x-hmac-algorithm"])
        assert.are.equal("vidu", h["x-hmac-access-key"])
        assert.is_string(h["date"]); assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", h["date"])
        assert.is_string(h["x-request-nonce"]); assert.are_not.equal("", h["x-request-nonce"])
        assert.is_nil(nonces[h["x-request-nonce"]], "nonces are not reused")
        nonces[h["x-request-nonce"]] = true
        local want, names = expected_signature(KEY, "POST", "/vidu/callback", "name=james&age=36", h)
        local lower = {}
        for _, n in ipairs(names) do lower[#lower + 1] = n:lower() end
        assert.is_true(list_has(lower, "date") and list_has(lower, "x-request-nonce"),
                       "Date and x-request-nonce are signed: " .. tostring(h["x-hmac-signed-headers"]))
        assert.are.equal(want, h["x-hmac-signature"], "HMAC-SHA256 signature")
        local wrong = expected_signature("not-the-key", "POST", "/vidu/callback", "name=james&age=36", h)
        assert.are_not.equal(wrong, h["x-hmac-signature"], "the key matters")
        assert.is_table(q.json, q.body)
        assert.truthy(({ processing = true, success = true, failed = true })[q.json.state], "pushed state " .. tostring(q.json.state) .. "; §12.1 pushes only processing, success, failed")
        assert.are.equal(c.task_id, q.json.id)
        assert.are.equal("cb-payload", q.json.payload)
        states[#states + 1] = q.json.state
      end
      assert.is_true(list_has(states, "processing"), "processing pushed: " .. table.concat(states, ","))
      assert.are.equal("success", states[#states], "success pushed last")
      local last = got[#got].json
      assert.are.equal(c.credits, last.credits)
      assert.matches("^https?://", last.creations[1].url)
      assert.are.equal(done.creations[1].id, last.creations[1].id)
    end)

    test("cancelling a queued task pushes failed/UserCancelled, signed, and nothing else", function()
      local r = start_receiver(200)
      -- Speed 2: the blocker runs 3 s, so the second task is still queued
      -- when it is cancelled, however loaded the machine (the test never
      -- waits for the blocker).
      local one = start_sim("--speed 2 --concurrency 1 --key " .. KEY .. " --quiet")
      local ok, err = pcall(function()
        create_ok(one, "text2video", { model = "viduq2", prompt = "blocker", duration = 3, resolution = "540p" })
        local url = ("http://127.0.0.1:%d/cancelled"):format(r.port)
        local c = create_ok(one, "text2video", { model = "viduq2", prompt = "to cancel", duration = 1, callback_url = url })
        local status, _, raw = http(one, "POST", "/ent/v2/tasks/" .. c.task_id .. "/cancel", { body = { id = c.task_id } })
        assert.are.equal(200, status, raw)
        local function failed_pushed()
          for _, q in ipairs(received(r)) do if q.json and q.json.state == "failed" then return true end end
        end
        assert.is_true(wait_for(failed_pushed, 15), "a failed callback arrives")
        sleep(1)
        -- Only the failure (queueing is no pushed state: checked above).
        local got, q = {}, nil
        for _, x in ipairs(received(r)) do
          assert.are_not.equal("processing", x.json.state, "a cancelled task never ran")
          assert.are_not.equal("success", x.json.state, "a cancelled task never ran")
          if x.json.state == "failed" then got[#got + 1] = x end
        end
        assert.are.equal(1, #got, "one failed callback")
        q = got[1]
        assert.are.equal(c.task_id, q.json.id)
        assert.are.equal("UserCancelled", q.json.err_code)
        assert.are.equal(0, q.json.credits)
        assert.are.equal(expected_signature(KEY, "POST", "/cancelled", "", q.headers), q.headers["x-hmac-signature"])
      end)
      stop_sim(one)
      assert(ok, err)
    end)

    test("a failing receiver gets the final state 1 + 3 times (three retries)", function()
      local r = start_receiver(500)
      local url = ("http://127.0.0.1:%d/hook"):format(r.port)
      run_ok(sim, "text2video", { model = "viduq2", prompt = "retry me", duration = 1, callback_url = url })
      local function successes()
        local n = 0
        for _, q in ipairs(received(r)) do if q.json and q.json.state == "success" then n = n + 1 end end
        return n
      end
      wait_for(function() return successes() >= 4 end, 60)
      sleep(3)
      assert.are.equal(4, successes())
      for _, q in ipairs(received(r)) do
        local want = expected_signature(KEY, "POST", "/hook", "", q.headers)
        assert.are.equal(want, q.headers["x-hmac-signature"], "retries are signed too (empty query)")
      end
    end)
  end)
end)
