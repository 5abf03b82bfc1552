---@meta json

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- bindings/json.cpp by tests/lua/meta_spec.lua; docs/lua-api.md is made from
-- this file by tools/lua_api_doc.lua.

--- JSON, a global (also `require "json"`). A table whose keys are exactly
--- 1..n is an array, one with only string keys an object; an empty table is an
--- object unless marked with `json.array`. Integers stay integers, floats stay
--- floats; objects are written with sorted keys. Errors are plain Lua errors
--- that name the path (`$.shots[2].prompt`), the rule and the fix.
---@class json
---@field null lightuserdata JSON null, both ways: `json.decode("[1,null]")` keeps its length.
json = {}

---@class json.EncodeOptions
---@field indent? integer Pretty-print with this many spaces, 0-64 (default: compact).

--- Writes a value as JSON text.
---
--- Errors:
--- - a plain Lua error for a function, userdata (other than json.null), a mixed or sparse table, a cycle, invalid UTF-8, NaN or infinity, naming the path.
--- - a plain Lua error for an unknown option or a bad indent.
---
--- Example:
--- ```lua
--- print(json.encode({ shots = json.array{}, title = "x" }, { indent = 2 }))
--- ```
---@param value any A table, string, number, boolean or json.null.
---@param opts? json.EncodeOptions
---@return string text
---@nodiscard
function json.encode(value, opts) end

--- Reads JSON text. Arrays come back marked with `json.array`, so `[]` survives
--- a round trip; null is `json.null`.
---
--- Errors:
--- - a plain Lua error for text that is not JSON (naming the byte), or nested deeper than 200 levels.
---
--- Example:
--- ```lua
--- local manifest = json.decode(io.open("out/storyboard.json"):read("a"))
--- ```
---@param text string UTF-8 JSON text.
---@return any value
---@nodiscard
function json.decode(text) end

--- Marks a table (or a new empty one) as a JSON array and returns it.
---
--- Errors:
--- - a plain Lua error when the table already has another metatable.
---
--- Example:
--- ```lua
--- json.encode({ images = json.array{} })   --> {"images":[]}
--- ```
---@generic T: table
---@param t? T The table to mark (default: a new one).
---@return T t
function json.array(t) end

--- Marks a table (or a new empty one) as a JSON object and returns it.
---
--- Errors:
--- - a plain Lua error when the table already has another metatable.
---
--- Example:
--- ```lua
--- json.encode({ meta = json.object{} })   --> {"meta":{}}
--- ```
---@generic T: table
---@param t? T The table to mark (default: a new one).
---@return T t
function json.object(t) end

return json
