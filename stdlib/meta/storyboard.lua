---@meta storyboard

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- stdlib/storyboard.lua by tests/lua/meta_spec.lua; docs/lua-api.md is made
-- from this file by tools/lua_api_doc.lua.

--- Storyboards, `require "storyboard"`: shots declared as a graph, rendered
--- through the vidu client (and so through the journal), cut in declaration
--- order into one film, with a manifest and a contact sheet. Everything that
--- can be refused is refused before anything is paid for: bad options when a
--- shot is declared, unknown shot ids, cycles and impossible chains when the
--- board is planned or rendered. Every message names the shot.
---@class storyboard
local storyboard = {}

--- A storyboard: settings, shots in declaration order, and the clips of
--- earlier renders in this run.
---@class storyboard.Board
---@field title string Its title.
---@field model string|nil The default model.
---@field resolution string|nil The default resolution.
---@field aspect_ratio string|nil The default aspect ratio.
---@field duration integer|nil The default duration.
---@field seed integer|nil The default seed.
---@field timeout number|nil Seconds of processing each shot waits for.
---@field film boolean Whether render joins a film.
---@field out string The folder.
---@field shots storyboard.Shot[] In declaration order.
---@field by_id table<string, storyboard.Shot> The shots by id.
---@field rendered table<string, { task: vidu.Task, clip: vidu.Clip }> Clips of earlier renders in this run, by shot id.
local Board = {}

--- The class of boards (their metatable).
storyboard.Board = Board

--- Where an image goes in a shot: a shot id (that shot's last frame; for `to`
--- and `last` its first frame), a string with a dot or a slash (a file or a
--- URL), or a Frame.
---@alias storyboard.ImageRef string|media.Frame

---@class storyboard.BoardOptions
---@field title? string Names the board and its folder (default "storyboard").
---@field model? string The model of every shot that gives none and whose kind it makes.
---@field resolution? string Every shot's default resolution.
---@field aspect_ratio? string Every text and reference shot's default aspect ratio.
---@field duration? integer Every shot's default duration in seconds (extend: seconds added).
---@field seed? integer Every shot's default seed.
---@field out? string The folder (default `<--out>/<title as a file name>`).
---@field film? boolean false: no film.mp4 (default true).
---@field timeout? number Seconds of processing each shot waits for (`t:wait{timeout}`; default 900).

--- The start and key frames of a multiframe shot.
---@class storyboard.MultiframeShot
---@field start storyboard.ImageRef The first frame.
---@field frames { image: storyboard.ImageRef, prompt?: string, duration?: integer }[] 2-9 key frames.

--- A shot: its id, exactly one kind (`text`, `image`, `reference`, `from`
--- [+ `to`], `extend` [+ `last`], `multiframe`), and options. Any other key
--- is an API option passed to the vidu call and checked by it.
---@class storyboard.ShotOptions
---@field id string Required: letters, digits, _ and -, starting with a letter or _; unique in the board.
---@field text? string A text shot (text2video); its prompt.
---@field prompt? string The prompt of any other kind.
---@field image? storyboard.ImageRef An img2video shot from this image.
---@field reference? storyboard.ImageRef|storyboard.ImageRef[] A reference shot from these images.
---@field videos? string[] A reference shot's videos: shot ids (their clips), files or URLs.
---@field from? storyboard.ImageRef The start frame: alone an img2video shot, with `to` a start/end shot.
---@field to? storyboard.ImageRef The end frame of a start/end shot (a shot id: its first frame).
---@field extend? string The id of the shot to continue; the extension takes its place in the cut.
---@field last? storyboard.ImageRef The image an extension ends on (a shot id: its first frame).
---@field multiframe? storyboard.MultiframeShot A multiframe shot.
---@field model? string This shot's model (default: the board's, when it makes the kind).
---@field duration? integer Seconds (extend: seconds added).
---@field resolution? string Default: the board's.
---@field aspect_ratio? string Text and reference shots; default: the board's.
---@field seed? integer Default: the board's.
---@field group? string Shots of one group sit side by side on the contact sheet.
---@field timeout? number Seconds of processing this shot waits for.
---@field [string] any An API option, e.g. `bgm`, `movement_amplitude`.

--- Another shot a shot uses.
---@class storyboard.Ref
---@field id string The shot used.
---@field use "last"|"first"|"clip" Its last frame, its first frame, or its clip.
---@field as string The option that names it ("from", "extend", "multiframe.start", ...).

--- A declared shot, as `sb:shot` returns it and `sb.shots` holds it.
---@class storyboard.Shot
---@field id string Its id.
---@field kind vidu.Kind The vidu call it makes.
---@field spec storyboard.ShotOptions The declaration as given.
---@field index integer Its place in declaration order.
---@field group string|nil Its contact sheet group.
---@field model string The model it uses (its own or the board's).
---@field refs storyboard.Ref[] The shots it needs.
---@field credits integer The estimate.
---@field extended_by string|nil The shot that extends it (after a plan).
---@field predicted number|nil Seconds its clip will last, as far as the declarations say (after a plan).

--- The checked graph.
---@class storyboard.Plan
---@field order storyboard.Shot[] An order the shots can run in, each after what it needs.
---@field cut storyboard.Shot[] The cut: declaration order, each shot replaced by the end of its extension chain.
---@field credits integer The estimate of every shot (an upper bound: the journal replays finished calls for free).
---@field shots storyboard.Shot[] Every shot, in declaration order.

---@class storyboard.PlanOptions
---@field quiet? boolean true: print nothing, just return the plan.

---@class storyboard.RenderOptions
---@field only? string[] Make these shots again (`fresh`); shots chained to them are made again only when their inputs changed.
---@field budget? number Refuse to start when the estimate exceeds this many credits, or the account's balance.

--- What a render made.
---@class storyboard.Film
---@field path string|nil The film, `<out>/film.mp4`; nil when a shot of the cut has no clip or `film = false`.
---@field sheet string|nil The contact sheet, `<out>/index.html`.
---@field manifest string|nil `<out>/storyboard.json`: every shot's request, task id, state, credits, file, duration, size.
---@field strip string|nil `<out>/strip.png`, the middle frames side by side.
---@field credits integer Credits the clips cost.
---@field duration number|nil Seconds of the film.
---@field shots table<string, vidu.Clip> Each shot's clip by id.

--- Makes a board. Its settings are every shot's defaults.
---
--- Errors:
--- - `BoardInvalid`: an unknown option (the message lists them) or one of the wrong type.
---
--- Example:
--- ```lua
--- local storyboard = require "storyboard"
--- local sb = storyboard.new{ title = "Lighthouse", model = "viduq2-pro", resolution = "540p",
---                            aspect_ratio = "16:9", duration = 4 }
--- ```
---@param opts? storyboard.BoardOptions
---@return storyboard.Board board
function storyboard.new(opts) end

--- Declares a shot, checked at once by the vidu client's own rules (with
--- placeholders for frames other shots will make) and estimated.
---
--- Errors:
--- - `ShotInvalid`: a bad or repeated id, two kinds or none, a key of the wrong type, `to` without `from`, no model (`err.shot`).
--- - `FieldInvalid`, `FieldUnwanted`, `FieldLacking`, `ModelUnavailable`, ...: the vidu call's refusal, naming the shot; the board's model not making this kind names the models that do.
---
--- Example:
--- ```lua
--- sb:shot{ id = "dawn", model = "viduq2", duration = 5, text = "A lighthouse on a cliff at dawn" }
--- sb:shot{ id = "push", extend = "dawn", duration = 3, prompt = "the camera pushes in" }
--- sb:shot{ id = "dusk", from = "dawn", to = "assets/dusk.png", prompt = "day turns to night" }
--- ```
---@async
---@param s storyboard.ShotOptions
---@return storyboard.Shot shot
function Board:shot(s) end

--- Checks the whole board and prints the graph, each request and the
--- credits; sends nothing.
---
--- Errors:
--- - `BoardInvalid`: no shots.
--- - `ShotInvalid`: an unknown shot id, a shot that uses itself, a cycle (`a -> b -> a`), two extensions of one shot.
--- - `ChainInvalid`: extending a shot that will last under 4 s or over 60 s; start and end frames more than 1.25 times apart in size.
---
--- Example:
--- ```lua
--- local plan = sb:plan()
--- print(plan.credits, #plan.cut)
--- ```
---@async
---@param opts? storyboard.PlanOptions
---@return storyboard.Plan plan
function Board:plan(opts) end

--- Renders the board: each shot is an async task that starts when the shots
--- it needs have their clips; then the film, thumbnails, strip, manifest and
--- contact sheet. Each shot goes through the journal, so an unchanged board
--- renders again without a new task. A failed shot does not stop the others;
--- the shots that need it are skipped, the manifest and sheet are still
--- written, and the first failure is raised.
---
--- Errors:
--- - `RenderInvalid`: an unknown option or an `only` id that is no shot.
--- - `BudgetInvalid`: a budget that is not a number >= 0.
--- - `OverBudget`: the estimate exceeds the budget (`err.credits`, `err.budget`).
--- - `CreditInsufficient`: the estimate exceeds the balance (`err.credits`, `err.balance`).
--- - `BoardInvalid`, `ShotInvalid`, `ChainInvalid`: see `Board:plan`.
--- - `ShotSkipped`: a shot whose input shot has no clip (raised only when nothing else failed).
--- - `OutputFailed`: a folder or file of the board cannot be written (`err.path`).
--- - a shot's task error (`TaskFailed`, `Timeout`, ... with `err.shot`; see `vidu.Task:wait`).
---
--- Example:
--- ```lua
--- local film = sb:render{ budget = 2000 }
--- print(film.path, film.sheet, film.credits)
--- sb:render{ only = { "noon" } }   -- make noon again
--- ```
---@async
---@param opts? storyboard.RenderOptions
---@return storyboard.Film film
function Board:render(opts) end

--- The vidu options of a shot. `inputs(ref, use)` gives what another shot
--- made (its "last" or "first" frame, or its "clip"); without it,
--- placeholder URLs stand in, for checking and estimating. For libraries
--- that build on boards.
---
--- Example:
--- ```lua
--- local opts = storyboard.request(sb, sb.by_id.dusk)
--- print(vidu.estimate(sb.by_id.dusk.kind, opts))
--- ```
---@param board storyboard.Board The board, for its defaults.
---@param shot storyboard.Shot A shot of it.
---@param inputs? fun(ref: string, use: "last"|"first"|"clip"): any What another shot made: a Frame, a Clip, or a stand-in.
---@return table opts
function storyboard.request(board, shot, inputs) end

--- Whether a string names a shot (an identifier) rather than a file or URL
--- (anything with a dot or a slash).
---
--- Example:
--- ```lua
--- print(storyboard.is_ref("dusk"), storyboard.is_ref("dusk.png"))   --> true false
--- ```
---@param v any Usually a string from a shot declaration.
---@return boolean
---@nodiscard
function storyboard.is_ref(v) end

--- Raises a vidu.Error with this code and message, and every field of
--- `extra`. For libraries that build on boards.
---
--- Example:
--- ```lua
--- storyboard.fail("ShotInvalid", 'shot "x" has no prompt', { shot = "x" })
--- ```
---@param code string err.code, e.g. "ShotInvalid".
---@param message string One sentence naming the shot.
---@param extra? table Fields to add (`shot`, `field`, ...).
function storyboard.fail(code, message, extra) end

return storyboard
