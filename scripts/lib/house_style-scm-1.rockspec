-- The example library as a rock: what a team publishes to share it. The
-- layout is the plain one LuaRocks' builtin build type expects, so the same
-- folder is required by scripts (reel finds it in the script's lib/) and
-- installed by `luarocks make` elsewhere.
rockspec_format = "3.0"
package = "house_style"
version = "scm-1"
source = { url = "git+https://example.invalid/team/house_style.git" }
description = {
  summary = "A team's house style for reel storyboards: shot builders with one look",
  license = "MIT",
}
dependencies = { "lua >= 5.4" }
build = {
  type = "builtin",
  modules = { house_style = "house_style.lua" },
}
test = { type = "busted" }
