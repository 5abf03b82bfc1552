// The json module in a real Lua state: Lua snippets in, strings and values out.

#include <lua.hpp>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "bindings/modules.hpp"

namespace {

class JsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L = luaL_newstate();
    luaL_openlibs(L);
    ASSERT_EQ(reel::lua::open_json(L), 1);
    lua_setglobal(L, "json");
  }
  void TearDown() override { lua_close(L); }

  // Evaluates a Lua expression and returns tostring() of its value; fails the test on error.
  std::string eval(const std::string& expr) {
    const int top = lua_gettop(L);
    if (luaL_dostring(L, ("return tostring(" + expr + ")").c_str()) != LUA_OK) {
      ADD_FAILURE() << "error evaluating " << expr << ": " << lua_tostring(L, -1);
      lua_settop(L, top);
      return "<error>";
    }
    std::string result = lua_tostring(L, -1);
    lua_settop(L, top);
    return result;
  }

  // Runs a chunk that must raise, and returns the error message.
  std::string error_of(const std::string& code) {
    const int top = lua_gettop(L);
    if (luaL_dostring(L, code.c_str()) == LUA_OK) {
      ADD_FAILURE() << "expected an error from: " << code;
      lua_settop(L, top);
      return "<no error>";
    }
    std::string message = lua_tostring(L, -1);
    lua_settop(L, top);
    // Like every luaL_error, ours carry the calling line ([string "..."]:1: ); the test of
    // that is ErrorsCarryTheCallersPosition, the rest compare what follows.
    if (message.starts_with("[string \"")) {
      if (const size_t end = message.find("\"]:"); end != std::string::npos) {
        message.erase(0, message.find(": ", end) + 2);
      }
    }
    return message;
  }

  // Runs a chunk of assertions written in Lua; fails the test with Lua's message.
  void run(const std::string& code) {
    const int top = lua_gettop(L);
    EXPECT_EQ(luaL_dostring(L, code.c_str()), LUA_OK) << lua_tostring(L, -1);
    lua_settop(L, top);
  }

  std::string encode(const std::string& expr) { return eval("json.encode(" + expr + ")"); }

  lua_State* L = nullptr;
};

// Expects a message that starts with prefix and contains every part.
void expect_message(const std::string& message, const std::string& prefix,
                    std::initializer_list<std::string> parts = {}) {
  EXPECT_EQ(message.substr(0, prefix.size()), prefix) << message;
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

// ---------------------------------------------------------------------------------------------
// encode: values

TEST_F(JsonTest, EncodesScalars) {
  EXPECT_EQ(encode("true"), "true");
  EXPECT_EQ(encode("false"), "false");
  EXPECT_EQ(encode("json.null"), "null");
  EXPECT_EQ(encode("'hi'"), "\"hi\"");
  EXPECT_EQ(encode("''"), "\"\"");
}

TEST_F(JsonTest, IntegersStayIntegersAndFloatsStayFloats) {
  EXPECT_EQ(encode("3"), "3");
  EXPECT_EQ(encode("-42"), "-42");
  EXPECT_EQ(encode("3.0"), "3.0");
  EXPECT_EQ(encode("0.1"), "0.1");
  EXPECT_EQ(encode("-2.5"), "-2.5");
  EXPECT_EQ(encode("1e300"), "1e+300");
  EXPECT_EQ(encode("math.maxinteger"), "9223372036854775807");
  EXPECT_EQ(encode("math.mininteger"), "-9223372036854775808");
  EXPECT_EQ(encode("2^53"), "9.007199254740992e+15");  // the exponent keeps it a float
}

TEST_F(JsonTest, EscapesStrings) {
  EXPECT_EQ(encode(R"('a"b\\c')"), R"("a\"b\\c")");
  EXPECT_EQ(encode(R"('line\nnext\ttab')"), R"("line\nnext\ttab")");
  EXPECT_EQ(encode(R"('nul\0byte')"), R"("nul\u0000byte")");
  EXPECT_EQ(encode(R"('\1\31')"), R"("\u0001\u001f")");
  EXPECT_EQ(encode("'caf\\u{E9} \\u{1F600}'"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(encode("'a/b'"), "\"a/b\"");
}

TEST_F(JsonTest, EncodesArrays) {
  EXPECT_EQ(encode("{1, 2, 3}"), "[1,2,3]");
  EXPECT_EQ(encode("{'a', {true, false}, {}}"), "[\"a\",[true,false],{}]");
  EXPECT_EQ(encode("{1, json.null, 3}"), "[1,null,3]");
  EXPECT_EQ(encode("{[1] = 'x', [2] = 'y'}"), "[\"x\",\"y\"]");
  EXPECT_EQ(encode("{[1.0] = 'float key normalised by Lua'}"), "[\"float key normalised by Lua\"]");
}

TEST_F(JsonTest, EncodesObjectsWithSortedKeys) {
  EXPECT_EQ(encode("{b = 1, a = 2, c = {z = 1, y = 2}}"), R"({"a":2,"b":1,"c":{"y":2,"z":1}})");
  EXPECT_EQ(encode("{['1'] = 'string key', [''] = 0}"), R"({"":0,"1":"string key"})");
  EXPECT_EQ(encode("{name = 'x', list = {1, 2}, none = json.null}"),
            R"({"list":[1,2],"name":"x","none":null})");
}

TEST_F(JsonTest, OutputIsDeterministic) {
  run(R"lua(
    local t = {}
    for i = 1, 200 do t["k" .. i] = i end
    local first = json.encode(t)
    for _ = 1, 5 do
      local copy = {}
      for k, v in pairs(t) do copy[k] = v end
      assert(json.encode(copy) == first)
    end
  )lua");
}

TEST_F(JsonTest, EmptyTablesAreObjectsUnlessMarked) {
  EXPECT_EQ(encode("{}"), "{}");
  EXPECT_EQ(encode("json.array()"), "[]");
  EXPECT_EQ(encode("json.array({})"), "[]");
  EXPECT_EQ(encode("json.object()"), "{}");
  EXPECT_EQ(encode("{list = json.array(), map = {}}"), R"({"list":[],"map":{}})");
  EXPECT_EQ(encode("json.array({1, 2})"), "[1,2]");
  EXPECT_EQ(encode("json.object({a = 1})"), R"({"a":1})");
}

TEST_F(JsonTest, MarkersReturnTheirTable) {
  run(R"lua(
    local t = {1}
    assert(json.array(t) == t)
    assert(json.object(t) == t)
    assert(json.array(nil) ~= json.array(nil))
    assert(getmetatable(json.array()) ~= getmetatable(json.object()))
    assert(tostring(json.array()):match("^json%.array: "))
    -- a table can switch marker; the last one counts
    local m = json.object(json.array())
    assert(json.encode(m) == "{}")
    -- marked arrays still behave as plain tables
    local a = json.array()
    a[#a + 1] = "x"
    assert(#a == 1 and json.encode(a) == '["x"]')
  )lua");
}

TEST_F(JsonTest, MarkersRejectNonTablesAndForeignMetatables) {
  expect_message(error_of("json.array(5)"), "bad argument #1 to 'array' (table expected");
  expect_message(error_of("json.object('x')"), "bad argument #1 to 'object' (table expected");
  expect_message(error_of("json.array(setmetatable({}, {}))"),
                 "json.array: the table already has a metatable");
}

TEST_F(JsonTest, SharedTablesThatAreNotCyclesEncode) {
  EXPECT_EQ(eval("(function() local s = {1} return json.encode({a = s, b = s, c = {s}}) end)()"),
            R"({"a":[1],"b":[1],"c":[[1]]})");
}

TEST_F(JsonTest, RawContentIsEncodedIgnoringOtherMetamethods) {
  // A metatable's __index is not data: only the table's own keys are encoded.
  EXPECT_EQ(encode("setmetatable({a = 1}, {__index = {b = 2}})"), R"({"a":1})");
}

TEST_F(JsonTest, IndentPrettyPrints) {
  EXPECT_EQ(eval("json.encode({a = {1, 2}, b = json.array()}, {indent = 2})"),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": []\n}");
  EXPECT_EQ(eval("json.encode({1}, {indent = 0})"), "[\n1\n]");
  EXPECT_EQ(eval("json.encode({1}, {})"), "[1]");
  EXPECT_EQ(eval("json.encode({1}, nil)"), "[1]");
}

TEST_F(JsonTest, RejectsBadOptions) {
  expect_message(error_of("json.encode({}, {indent = -1})"), "bad argument #2 to 'encode'",
                 {"indent"});
  expect_message(error_of("json.encode({}, {indent = 1.5})"), "bad argument #2 to 'encode'");
  expect_message(error_of("json.encode({}, {indent = 'two'})"), "bad argument #2 to 'encode'");
  expect_message(error_of("json.encode({}, {pretty = true})"), "bad argument #2 to 'encode'",
                 {"unknown option 'pretty'"});
  expect_message(error_of("json.encode({}, 2)"), "bad argument #2 to 'encode' (table expected");
  expect_message(error_of("json.encode()"), "bad argument #1 to 'encode' (value expected");
}

// ---------------------------------------------------------------------------------------------
// encode: errors name the place, the rule and the fix

TEST_F(JsonTest, FunctionNamesItsPath) {
  EXPECT_EQ(error_of("json.encode({cb = function() end})"),
            "json.encode: cannot encode a function at $.cb (only nil-free tables, strings, "
            "numbers, booleans and json.null can be encoded; remove it or convert it to one of "
            "those)");
  expect_message(error_of("json.encode({a = {b = {1, print}}})"),
                 "json.encode: cannot encode a function at $.a.b[2] ");
  expect_message(error_of("json.encode(print)"), "json.encode: cannot encode a function at $ ");
}

TEST_F(JsonTest, PathsQuoteKeysThatAreNotIdentifiers) {
  expect_message(error_of("json.encode({['a b'] = {['x\"y'] = print}})"),
                 R"(json.encode: cannot encode a function at $["a b"]["x\"y"] )");
  expect_message(error_of("json.encode({['1x'] = print})"),
                 R"(json.encode: cannot encode a function at $["1x"] )");
}

TEST_F(JsonTest, OtherUnencodableTypes) {
  expect_message(error_of("json.encode({co = coroutine.create(print)})"),
                 "json.encode: cannot encode a thread at $.co ");
  expect_message(error_of("json.encode({io.stdout})"),
                 "json.encode: cannot encode a userdata (FILE*) at $[1] ");
  expect_message(error_of("json.encode(nil)"), "json.encode: cannot encode nil at $ ",
                 {"json.null"});
}

TEST_F(JsonTest, ForeignLightUserdataIsRejected) {
  static int other = 0;
  lua_pushlightuserdata(L, &other);
  lua_setglobal(L, "other");
  expect_message(error_of("json.encode({x = other})"),
                 "json.encode: cannot encode a light userdata at $.x ");
}

TEST_F(JsonTest, NonFiniteNumbers) {
  expect_message(error_of("json.encode({n = 0/0})"), "json.encode: cannot encode NaN at $.n ",
                 {"json.null"});
  expect_message(error_of("json.encode({math.huge})"), "json.encode: cannot encode inf at $[1] ");
  expect_message(error_of("json.encode(-math.huge)"), "json.encode: cannot encode -inf at $ ");
}

TEST_F(JsonTest, MixedKeys) {
  expect_message(error_of("json.encode({x = {1, 2, name = 'n'}})"),
                 "json.encode: table at $.x mixes integer and string keys");
}

TEST_F(JsonTest, SparseArrays) {
  expect_message(error_of("json.encode({1, nil, 3})"),
                 "json.encode: table at $ has integer keys from 1 to 3 but 2 entries",
                 {"json.null"});
  expect_message(error_of("json.encode({[2] = 'x'})"),
                 "json.encode: table at $ has integer keys from 2 to 2 but 1 entries");
  expect_message(error_of("json.encode({[0] = 'x', [1] = 'y'})"),
                 "json.encode: table at $ has integer keys from 0 to 1");
  expect_message(error_of("json.encode({[-1] = 'x'})"), "json.encode: table at $ has integer keys");
}

TEST_F(JsonTest, KeysThatAreNeitherStringsNorIntegers) {
  expect_message(error_of("json.encode({a = {[1.5] = true}})"),
                 "json.encode: table at $.a has the float key 1.5 ", {"must be strings"});
  expect_message(error_of("json.encode({[true] = 1})"),
                 "json.encode: table at $ has a boolean key ");
  expect_message(error_of("json.encode({[{}] = 1})"), "json.encode: table at $ has a table key ");
}

TEST_F(JsonTest, MarkersMustMatchTheKeys) {
  expect_message(error_of("json.encode({list = json.array({a = 1})})"),
                 "json.encode: table at $.list is marked json.array but has string keys");
  expect_message(error_of("json.encode(json.object({1, 2}))"),
                 "json.encode: table at $ is marked json.object but has integer keys");
}

TEST_F(JsonTest, Cycles) {
  expect_message(error_of("local t = {} t.self = t json.encode(t)"),
                 "json.encode: table at $.self contains itself (it is also at $)", {"cycle"});
  expect_message(error_of("local a = {b = {}} a.b.c = {a.b} json.encode({root = a})"),
                 "json.encode: table at $.root.b.c[1] contains itself (it is also at $.root.b)");
}

TEST_F(JsonTest, NestingLimit) {
  run(R"lua(
    local function nest(n)
      local t = {}
      for _ = 2, n do t = {t} end
      return t
    end
    assert(json.encode(nest(200)) == string.rep("[", 199) .. "{}" .. string.rep("]", 199))
    local ok, err = pcall(json.encode, nest(201))
    assert(not ok)
    assert(err:find("^json%.encode: tables nest deeper than 200 levels at %$" ..
                    string.rep("%[1%]", 200) .. " "), err)
    ok, err = pcall(json.encode, nest(100000))
    assert(not ok and err:find("^json%.encode: tables nest deeper than 200"), err)
  )lua");
}

TEST_F(JsonTest, InvalidUtf8) {
  expect_message(error_of("json.encode({name = 'ab\\xff'})"),
                 "json.encode: string at $.name is not valid UTF-8 (invalid sequence at byte 3;");
  // overlong '/', a UTF-16 surrogate, a code point above U+10FFFF, a truncated sequence
  for (const char* bad : {"\\xC0\\xAF", "\\xED\\xA0\\x80", "\\xF4\\x90\\x80\\x80", "\\xE2\\x82"}) {
    expect_message(error_of(std::string("json.encode({'") + bad + "'})"),
                   "json.encode: string at $[1] is not valid UTF-8");
  }
  expect_message(error_of("json.encode({['k\\xff'] = 1})"),
                 R"(json.encode: key at $["k\xff"] is not valid UTF-8)");
  EXPECT_EQ(encode("'\\u{10FFFF}\\u{FFFD}'"), "\"\xF4\x8F\xBF\xBF\xEF\xBF\xBD\"");
}

TEST_F(JsonTest, ErrorsCarryTheCallersPosition) {
  // Called from a Lua line, luaL_error prefixes it; called straight from pcall, nothing does.
  run(R"lua(
    local ok, err = pcall(function() return json.encode({cb = print}) end)
    assert(err:find('^%[string ".-"%]:2: json%.encode: cannot encode a function at %$%.cb '), err)
    ok, err = pcall(json.encode, {cb = print})
    assert(err:find("^json%.encode: cannot encode a function at %$%.cb "), err)
    ok, err = pcall(json.decode, "[")
    assert(err:find("^json%.decode: syntax error at byte 2: "), err)
  )lua");
}

TEST_F(JsonTest, ErrorsLeaveTheStateUsable) {
  for (int i = 0; i < 100; ++i) error_of("json.encode({a = {b = {c = print}}})");
  EXPECT_EQ(lua_gettop(L), 0);
  EXPECT_EQ(encode("{a = 1}"), R"({"a":1})");
}

// ---------------------------------------------------------------------------------------------
// decode

TEST_F(JsonTest, DecodesScalars) {
  run(R"lua(
    assert(json.decode("true") == true)
    assert(json.decode("false") == false)
    assert(json.decode("null") == json.null)
    assert(json.decode('"hi"') == "hi")
    assert(json.decode('  "padded"  ') == "padded")
  )lua");
}

TEST_F(JsonTest, DecodesNumbersWithTheirType) {
  run(R"lua(
    local function check(text, value, kind)
      local got = json.decode(text)
      assert(got == value and math.type(got) == kind,
             text .. " gave " .. tostring(got) .. " (" .. tostring(math.type(got)) .. ")")
    end
    check("3", 3, "integer")
    check("-7", -7, "integer")
    check("0", 0, "integer")
    check("3.0", 3.0, "float")
    check("1e2", 100.0, "float")
    check("-2.5E-3", -0.0025, "float")
    check("9223372036854775807", math.maxinteger, "integer")
    check("-9223372036854775808", math.mininteger, "integer")
    check("9223372036854775808", 9223372036854775808.0, "float")
    check("18446744073709551615", 18446744073709551615.0, "float")
    check("1e-400", 0.0, "float")
  )lua");
}

TEST_F(JsonTest, DecodesStringEscapes) {
  run(R"lua(
    assert(json.decode([["a\"b\\c\/d\n\t"]]) == 'a"b\\c/d\n\t')
    assert(json.decode([["\u00e9\ud83d\ude00"]]) == "\u{E9}\u{1F600}")
    assert(json.decode([["nul\u0000byte"]]) == "nul\0byte")
  )lua");
}

TEST_F(JsonTest, ArraysKeepLengthAndMarker) {
  run(R"lua(
    local t = json.decode("[1, null, 3, null]")
    assert(#t == 4 and t[2] == json.null and t[4] == json.null)
    assert(getmetatable(t) == getmetatable(json.array()))
    assert(json.encode(json.decode("[]")) == "[]")
    assert(json.encode(json.decode("[[], {}]")) == "[[],{}]")
  )lua");
}

TEST_F(JsonTest, ObjectsArePlainTables) {
  run(R"lua(
    local t = json.decode('{"name": "x", "n": 1, "nested": {"ok": true}, "none": null}')
    assert(getmetatable(t) == nil and getmetatable(t.nested) == nil)
    assert(t.name == "x" and t.n == 1 and t.nested.ok == true and t.none == json.null)
    assert(json.encode(json.decode("{}")) == "{}")
    -- a numeric-looking key stays a string key
    local k = json.decode('{"1": "a"}')
    assert(k["1"] == "a" and k[1] == nil)
    -- a repeated key keeps its last value
    assert(json.decode('{"a": 1, "a": 2}').a == 2)
  )lua");
}

TEST_F(JsonTest, RoundTripsCanonicalText) {
  run(R"lua(
    local texts = {
      '{"a":[1,2.5,"x",null,true,false,[],{}],"b":{"c":{"d":[[1]]}},"e":-0.0}',
      '[{"id":1,"tags":["x","y"]},{"id":2,"tags":[]}]',
      '"caf\u{E9}"',
      '9223372036854775807',
    }
    for _, text in ipairs(texts) do
      local again = json.encode(json.decode(text))
      assert(again == text, text .. " came back as " .. again)
    end
  )lua");
}

TEST_F(JsonTest, DecodesLargeDocuments) {
  run(R"lua(
    local parts = {}
    for i = 1, 100000 do parts[i] = '{"i":' .. i .. '}' end
    local t = json.decode("[" .. table.concat(parts, ",") .. "]")
    assert(#t == 100000 and t[100000].i == 100000)
  )lua");
}

TEST_F(JsonTest, SyntaxErrorsGiveTheByte) {
  EXPECT_EQ(error_of("json.decode('')"),
            "json.decode: syntax error at byte 1: while parsing value - unexpected end of input; "
            "expected '[', '{', or a literal");
  EXPECT_EQ(error_of("json.decode('[1,2')"),
            "json.decode: syntax error at byte 5: while parsing array - unexpected end of input; "
            "expected ']'");
  expect_message(error_of("json.decode('{\"a\" 1}')"),
                 "json.decode: syntax error at byte 6: while parsing object separator",
                 {"expected ':'"});
  expect_message(error_of("json.decode('[1] x')"),
                 "json.decode: syntax error at byte 5: ", {"expected end of input"});
  expect_message(error_of("json.decode('[1,]')"), "json.decode: syntax error at byte 4: ");
  expect_message(error_of("json.decode('{a: 1}')"), "json.decode: syntax error at byte 2: ");
  expect_message(error_of("json.decode('// comment\\n1')"), "json.decode: syntax error at byte 1");
  expect_message(error_of("json.decode('\"ab\\xff\"')"),
                 "json.decode: syntax error at byte 4: ", {"ill-formed UTF-8"});
  EXPECT_EQ(error_of("json.decode('[1e400]')"),
            "json.decode: number out of range at byte 6: number overflow parsing '1e400'");
  // beyond the first line the line and column are added
  expect_message(error_of("json.decode('[\\n  1,\\n  @]')"),
                 "json.decode: syntax error at byte 10: ", {"(line 3, column 3)"});
}

TEST_F(JsonTest, DecodeNestingLimit) {
  run(R"lua(
    assert(json.decode(string.rep("[", 200) .. string.rep("]", 200)))
    local ok, err = pcall(json.decode, '{"a":' .. string.rep("[", 200) .. string.rep("]", 200) .. "}")
    assert(not ok and err == "json.decode: arrays and objects nest deeper than 200 levels at " ..
           "byte 205 (flatten the document)", err)
    ok, err = pcall(json.decode, '["[[[",' .. string.rep("[", 1000000))
    assert(not ok and err:find("^json%.decode: arrays and objects nest deeper than 200 levels " ..
                               "at byte 207 "), err)
  )lua");
}

TEST_F(JsonTest, DecodeChecksItsArgument) {
  expect_message(error_of("json.decode({})"),
                 "bad argument #1 to 'decode' (string expected, got table)");
  expect_message(error_of("json.decode()"), "bad argument #1 to 'decode' (string expected");
  EXPECT_EQ(eval("math.type(json.decode(42))"), "integer");  // numbers convert, as in Lua
}

TEST_F(JsonTest, DecodeErrorsLeaveTheStateUsable) {
  for (int i = 0; i < 100; ++i) error_of("json.decode('[[[{\"a\": [1, 2, x')");
  EXPECT_EQ(lua_gettop(L), 0);
  EXPECT_EQ(eval("json.decode('[1]')[1]"), "1");
}

TEST_F(JsonTest, NullIsOneUniqueLightUserdata) {
  run(R"lua(
    assert(type(json.null) == "userdata")
    assert(json.null == json.decode("null"))
    assert(json.decode("[null]")[1] == json.null)
    assert(json.null ~= nil and json.null ~= false)
  )lua");
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "null");
  EXPECT_EQ(lua_type(L, -1), LUA_TLIGHTUSERDATA);
  lua_pop(L, 2);
}

// An allocator with a ceiling, to make Lua's own memory errors unwind through the encoder and
// through nlohmann's parser.
struct Budget {
  size_t used = 0;
  size_t limit = 0;
};

void* limited_alloc(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* budget = static_cast<Budget*>(ud);
  const size_t old_bytes = ptr != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(ptr);
    budget->used -= old_bytes;
    return nullptr;
  }
  if (new_size > old_bytes && budget->used + new_size - old_bytes > budget->limit) return nullptr;
  void* block = std::realloc(ptr, new_size);
  if (block != nullptr) budget->used = budget->used + new_size - old_bytes;
  return block;
}

TEST(JsonMemoryTest, LuaMemoryErrorsUnwindCleanly) {
  Budget budget{0, 64 << 20};
  lua_State* L = lua_newstate(limited_alloc, &budget);
  luaL_openlibs(L);
  reel::lua::open_json(L);
  lua_setglobal(L, "json");
  const char* build = R"lua(
    local parts = {}
    for i = 1, 20000 do parts[i] = '{"key":"' .. string.rep("v", 40) .. i .. '"}' end
    text = "[" .. table.concat(parts, ",") .. "]"
    value = json.decode(text)
    collectgarbage()
  )lua";
  ASSERT_EQ(luaL_dostring(L, build), LUA_OK) << lua_tostring(L, -1);
  lua_gc(L, LUA_GCCOLLECT);
  budget.limit = budget.used + 256 * 1024;  // too little for a second copy of the document

  EXPECT_NE(luaL_dostring(L, "keep = json.decode(text)"), LUA_OK);
  EXPECT_NE(std::string(lua_tostring(L, -1)).find("not enough memory"), std::string::npos)
      << lua_tostring(L, -1);
  lua_settop(L, 0);
  EXPECT_NE(luaL_dostring(L, "keep = json.encode(value) .. json.encode(value)"), LUA_OK);
  lua_settop(L, 0);

  budget.limit = size_t{1} << 40;
  EXPECT_EQ(luaL_dostring(L, "assert(#json.decode(text) == 20000)"), LUA_OK) << lua_tostring(L, -1);
  lua_close(L);
}

TEST_F(JsonTest, NullIsTheSameInEveryState) {
  lua_State* other = luaL_newstate();
  reel::lua::open_json(other);
  lua_getfield(other, -1, "null");
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "null");
  EXPECT_EQ(lua_touserdata(other, -1), lua_touserdata(L, -1));
  lua_pop(L, 2);
  lua_close(other);
}

}  // namespace
