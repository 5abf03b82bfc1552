-- The reel global inside reel (busted --lua=reel): reel.mkdir, the folder
-- maker storyboards use (it works under --sandbox too, where
-- tests/e2e/sandbox_spec.lua holds it to --out).
local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  return dir
end

local function is_folder(path)
  local f = io.open(path .. "/.probe", "w")  -- only a folder takes a file
  if not f then return false end
  f:close()
  os.remove(path .. "/.probe")
  return true
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

describe("reel.mkdir", function()
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("makes a folder and the folders above it", function()
    assert.is_true(reel.mkdir(dir .. "/a/b/c"))
    assert.is_true(is_folder(dir .. "/a"))
    assert.is_true(is_folder(dir .. "/a/b/c"))
  end)

  it("is fine with a folder that is already there", function()
    assert.is_true(reel.mkdir(dir .. "/a"))
    write(dir .. "/a/kept.txt", "kept")
    assert.is_true(reel.mkdir(dir .. "/a"))
    assert.is_true(reel.mkdir(dir .. "/a/"))
    assert.is_true(reel.mkdir(dir))
    assert.are.equal("kept", assert(io.open(dir .. "/a/kept.txt")):read("a"))
  end)

  it("refuses a path that is a file, with OutputFailed", function()
    local path = dir .. "/notes.txt"
    write(path, "a file")
    local ok, err = pcall(reel.mkdir, path)
    assert.is_false(ok)
    assert.is_true(vidu.Error.is(err))
    assert.are.equal("OutputFailed", err.code)
    assert.are.equal(path, err.path)
    assert.is_truthy(err.message:find(path, 1, true), err.message)
    assert.is_truthy(err.message:find("a file of that name is in the way", 1, true), err.message)
    assert.are.equal("a file", assert(io.open(path)):read("a"))  -- left as it was
  end)

  it("refuses a folder under a file, saying why", function()
    write(dir .. "/notes.txt", "a file")
    local ok, err = pcall(reel.mkdir, dir .. "/notes.txt/sub")
    assert.is_false(ok)
    assert.are.equal("OutputFailed", err.code)
    assert.is_truthy(err.message:find("cannot make the folder " .. dir .. "/notes.txt/sub: ", 1, true),
                     err.message)
  end)

  it("wants a string", function()
    assert.has_error(function() reel.mkdir() end)
    assert.has_error(function() reel.mkdir({}) end)
  end)
end)
