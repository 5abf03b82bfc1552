-- The json module as scripts see it, inside the reel binary:
--   busted --lua=build/reel tests/lua/json_spec.lua

-- Calls fn(...) expecting an error and returns its message. pcall(fn, ...) calls the C
-- function directly, so the message has no "file:line: " prefix.
local function error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return err
end

-- Asserts that message starts with prefix (plain text, not a pattern).
local function assert_starts(message, prefix)
  assert.are.equal(prefix, message:sub(1, #prefix))
end

describe("json", function()
  it("is a global and the same table as require 'json'", function()
    assert.is_table(json)
    assert.are.equal(json, require("json"))
  end)

  describe("encode", function()
    it("encodes scalars, keeping integers and floats apart", function()
      assert.are.equal("true", json.encode(true))
      assert.are.equal("null", json.encode(json.null))
      assert.are.equal("3", json.encode(3))
      assert.are.equal("3.0", json.encode(3.0))
      assert.are.equal("0.5", json.encode(0.5))
      assert.are.equal("9223372036854775807", json.encode(math.maxinteger))
      assert.are.equal('"a\\"b\\n\\u0000"', json.encode('a"b\n\0'))
      assert.are.equal('"caf\u{E9}"', json.encode("caf\u{E9}"))
    end)

    it("encodes arrays and objects with sorted keys", function()
      assert.are.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
      assert.are.equal("[1,null,3]", json.encode({ 1, json.null, 3 }))
      assert.are.equal('{"a":1,"b":[true],"c":{"x":"y"}}',
                       json.encode({ c = { x = "y" }, b = { true }, a = 1 }))
    end)

    it("encodes an empty table as an object unless it is marked json.array", function()
      assert.are.equal("{}", json.encode({}))
      assert.are.equal("[]", json.encode(json.array()))
      assert.are.equal("{}", json.encode(json.object()))
      assert.are.equal('{"images":[],"meta":{}}',
                       json.encode({ images = json.array({}), meta = json.object({}) }))
    end)

    it("returns the table it marks", function()
      local t = {}
      assert.are.equal(t, json.array(t))
      assert.are.equal(t, json.object(t))
    end)

    it("pretty-prints with opts.indent", function()
      assert.are.equal('{\n  "a": [\n    1\n  ]\n}', json.encode({ a = { 1 } }, { indent = 2 }))
    end)

    it("names the path, the rule and the fix for a function", function()
      local err = error_of(json.encode, { shot = { cb = function() end } })
      assert_starts(err, "json.encode: cannot encode a function at $.shot.cb (")
      assert.truthy(err:find("json.null", 1, true))
    end)

    it("rejects what JSON cannot hold", function()
      local function starts(value, prefix) assert_starts(error_of(json.encode, value), prefix) end
      starts({ 1, nil, 3 }, "json.encode: table at $ has integer keys from 1 to 3 but 2 entries")
      starts({ 1, x = 2 }, "json.encode: table at $ mixes integer and string keys")
      starts({ [1.5] = 1 }, "json.encode: table at $ has the float key 1.5")
      starts({ [true] = 1 }, "json.encode: table at $ has a boolean key")
      assert_starts(error_of(json.encode, { v = 0 / 0 }), "json.encode: cannot encode NaN at $.v")
      assert_starts(error_of(json.encode, { math.huge }), "json.encode: cannot encode inf at $[1]")
      assert_starts(error_of(json.encode, { f = io.stdout }),
                    "json.encode: cannot encode a userdata (FILE*) at $.f")
      assert_starts(error_of(json.encode, { name = "\xff" }),
                    "json.encode: string at $.name is not valid UTF-8")
    end)

    it("rejects cycles and nesting deeper than 200", function()
      local t = { a = {} }
      t.a.back = t
      assert_starts(error_of(json.encode, t), "json.encode: table at $.a.back contains itself")
      local deep = {}
      for _ = 1, 200 do deep = { deep } end
      assert_starts(error_of(json.encode, deep), "json.encode: tables nest deeper than 200")
    end)

    it("prefixes the caller's position when called from a Lua line", function()
      local ok, err = pcall(function() return json.encode(print) end)
      assert.is_false(ok)
      assert.truthy(err:find("json_spec.lua:%d+: json%.encode: cannot encode a function at %$ "),
                    err)
    end)
  end)

  describe("decode", function()
    it("decodes numbers with their Lua subtype", function()
      assert.are.equal("integer", math.type(json.decode("3")))
      assert.are.equal("float", math.type(json.decode("3.0")))
      assert.are.equal(math.maxinteger, json.decode("9223372036854775807"))
      assert.are.equal("float", math.type(json.decode("18446744073709551616")))
    end)

    it("decodes null as json.null so arrays keep their length", function()
      local t = json.decode("[null, 2, null]")
      assert.are.equal(3, #t)
      assert.are.equal(json.null, t[1])
      assert.are.equal(json.null, json.decode('{"a": null}').a)
    end)

    it("round-trips empty arrays and objects", function()
      assert.are.equal("[]", json.encode(json.decode("[]")))
      assert.are.equal("{}", json.encode(json.decode("{}")))
      assert.are.equal('{"a":[],"b":{}}', json.encode(json.decode('{"b": {}, "a": []}')))
    end)

    it("gives objects as plain tables", function()
      local t = json.decode('{"task_id": "123", "state": "success", "creations": [{"url": "u"}]}')
      assert.is_nil(getmetatable(t))
      assert.are.same("u", t.creations[1].url)
    end)

    it("round-trips a document", function()
      local text = '{"a":[1,2.5,"x",null,true,false],"b":{"c":-0.0,"d":"\u{1F600}"}}'
      assert.are.equal(text, json.encode(json.decode(text)))
    end)

    it("reports syntax errors with the byte offset", function()
      assert.are.equal(
        "json.decode: syntax error at byte 5: while parsing array - unexpected end of input;"
          .. " expected ']'",
        error_of(json.decode, "[1,2"))
      assert_starts(error_of(json.decode, ""), "json.decode: syntax error at byte 1: ")
      assert_starts(error_of(json.decode, "[1] x"), "json.decode: syntax error at byte 5: ")
    end)

    it("limits nesting to 200", function()
      assert.is_table(json.decode(string.rep("[", 200) .. string.rep("]", 200)))
      assert_starts(error_of(json.decode, string.rep("[", 201) .. string.rep("]", 201)),
                    "json.decode: arrays and objects nest deeper than 200 levels at byte 201")
    end)

    it("wants a string", function()
      local err = error_of(json.decode, {})
      assert.truthy(err:find("bad argument #1 to '[%w.]*decode' %(string expected"), err)
    end)
  end)
end)
