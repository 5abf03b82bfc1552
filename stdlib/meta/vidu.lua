---@meta vidu

-- Type stubs for lua-language-server (LuaCATS); never run. The names are kept
-- in step with bindings/vidu.cpp, vidu_tasks.cpp, vidu_journal.cpp and
-- vidu_progress.cpp by tests/lua/meta_spec.lua, and docs/lua-api.md is made
-- from this file by tools/lua_api_doc.lua.

--- The Vidu client, a global (also `require "vidu"`). A create call checks its
--- options against the capability table of the current dialect and probes
--- local files before anything is sent, returns a Task at once and submits it
--- in the background; `t:wait()` yields only the calling task. Every create
--- goes through the journal, so a second run of an unchanged call pays
--- nothing. Settings come from the command line (`--sim`, `--dialect`,
--- `--key-file`, `--out`, `--journal`, `--retry-failed`, `--quiet`) or their
--- environment variables (`VIDU_BASE_URL`, `VIDU_API_KEY`, `REEL_KEY_FILE`,
--- `VIDU_DIALECT`, `REEL_OUT`, `REEL_JOURNAL`, `REEL_RETRY_FAILED`,
--- `REEL_QUIET`, `REEL_TIME_SCALE`).
---@class vidu
---@field Task vidu.TaskMetatable The metatable of Tasks: `vidu.Task.methods` and `vidu.Task.fields` list what a Task answers (the REPL completes from them).
vidu = {}

-- --- objects -------------------------------------------------------------------

--- A remote task, returned at once by a create call (or `vidu.task(ID)`) and
--- submitted in the background. Its fields are read live.
---@class vidu.Task
---@field id string|nil The API's task id; nil until the API answered the create.
---@field state vidu.TaskState Where the task is; "success" once the API says so, before the download.
---@field kind vidu.Kind|nil The create call it came from.
---@field model string|nil The model asked for.
---@field name string The `name` given; else `<kind>#<n>` ("text2video#1"), or `task <id>` for vidu.task.
---@field credits integer|nil The estimate, then what the API charged once it says.
---@field replayed boolean true when the journal gave the clip and no task was created in this run.
---@field clip vidu.Clip|nil The clip, once downloaded (the same table `t:wait()` returns).
---@field error vidu.Error|nil Why the task failed, without raising it.
local Task = {}

--- Waits for the clip: yields the calling task only, while other tasks run.
--- Processing time and queue time are counted apart. On `Timeout` the task
--- goes on remotely, and a later `t:wait()` picks it up.
---
--- Errors:
--- - `Timeout`: past `timeout` or `queue_timeout` (`err.task_id` is set; `err.retryable` is true).
--- - `TaskFailed`: the task failed remotely (`err.err_code` is the API's code; exit status 3).
--- - `Cancelled`: the task was cancelled.
--- - `ResultEmpty`, `ResultUndecodable`, `ResultWrongDuration`, `ResultMissing`: the result is not a usable video; no file is left.
--- - `DownloadFailed`, `OutputUnwritable`: the task succeeded but its file could not be saved.
--- - `CreateFailed`: every create was refused (429) or never reached the server; nothing was paid.
--- - `CreateUnconfirmed`: the create's answer was lost and the task could not be found.
--- - `PollFailed`: the task could not be followed.
--- - `Unauthorized`, `Forbidden`, `TooManyRequests`, ...: the API refused the create (`err.http_status`).
--- - `NoApiKey`, `JournalFailed`, `BadSetting`: the settings (at the first remote call).
---
--- Example:
--- ```lua
--- local t = vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn", name = "open" }
--- local clip = t:wait{ timeout = 600 }
--- print(clip.path, clip.duration)
--- ```
---@async
---@param opts? vidu.WaitOptions
---@return vidu.Clip clip
function Task:wait(opts) end

--- Cancels a task that has not started (submitting, created or queueing):
--- the cancel is sent once the task has an id; credits are refunded.
---
--- Errors:
--- - `NotCancellable`: the task is processing or has ended.
--- - `Unsupported`: the Vtrix dialect has no cancel call.
--- - the API's refusal, e.g. `NotFound` (`err.http_status`).
---
--- Example:
--- ```lua
--- local t = vidu.text2video{ model = "viduq2", prompt = "a test" }
--- t:cancel()                        -- true, or raises NotCancellable once it runs
--- ```
---@async
---@return true
function Task:cancel() end

--- The metatable of Tasks, for completion and checks.
---@class vidu.TaskMetatable
---@field methods table<string, function> The methods: `wait`, `cancel`.
---@field fields string[] The fields a Task answers: id, state, kind, model, name, credits, replayed, clip, error.

--- A downloaded result: the file was probed, decodes, and lasts what was asked.
--- Its fields come from the task and from the probe.
---@class vidu.Clip
---@field path string The file, `<out>/<name>-<task id>.mp4`.
---@field url string The result URL (signed, expires).
---@field cover_url string The cover image URL.
---@field creation_id string|nil The creation's id, which `extend` sends instead of the file.
---@field task_id string The task that made it.
---@field credits integer Credits the task cost.
---@field duration number Seconds, from the probe.
---@field width integer Pixels, from the probe.
---@field height integer Pixels, from the probe.
---@field fps number Frames per second, from the probe.
vidu.Clip = {}

--- The clip's first frame as a PNG (`media.frame` with `at = "first"`).
---
--- Errors:
--- - `MediaInvalid`: the file cannot be decoded.
---
--- Example:
--- ```lua
--- local frame = clip:first_frame()   -- beside the clip: <name>-<id>-first.png
--- ```
---@async
---@param opts? { out?: string } out: where to write the PNG (default: beside the clip, `-first.png`).
---@return media.Frame frame
function vidu.Clip:first_frame(opts) end

--- The clip's true last frame as a PNG, ready to start the next shot from.
---
--- Errors:
--- - `MediaInvalid`: the file cannot be decoded.
---
--- Example:
--- ```lua
--- local next = vidu.img2video{ model = "viduq2-pro", image = clip:last_frame(), prompt = "..." }
--- ```
---@async
---@param opts? { out?: string } out: where to write the PNG (default: beside the clip, `-last.png`).
---@return media.Frame frame
function vidu.Clip:last_frame(opts) end

--- What reel's modules raise: a table with a code and a one-sentence message
--- (`tostring(err)` is the message). Only the fields that apply are set.
---@class vidu.Error
---@field code string What went wrong, e.g. "FieldInvalid", "TaskFailed", "MediaInvalid".
---@field message string One sentence: the thing, the rule, the fix.
---@field field string|nil The option or request field at fault.
---@field path string|nil The file at fault.
---@field retryable boolean Whether the same call may succeed later.
---@field http_status integer|nil The HTTP status of a refusal (400 for a refused option).
---@field task_id string|nil The remote task.
---@field err_code string|nil The API's own code of a failed task.
---@field shot string|nil The shot (task name) it belongs to.
---@field problems vidu.Problem[]|nil Every problem of a refused request; the first is in code, field and message.
---@field exit_status integer|nil 3 for a failed remote task: the exit status when the script ends on it.

--- One problem of a refused request.
---@class vidu.Problem
---@field code string As err.code: "FieldInvalid", ...
---@field field string The option or request field, e.g. "images[0]".
---@field message string One sentence.

--- The class of errors (the metatable of every vidu.Error).
---@class vidu.ErrorClass
vidu.Error = {}

--- Makes an error of the same class, for Lua libraries to raise: every field
--- given is kept (`shot`, `credits`, ...); `code` and `message` are required.
---
--- Errors:
--- - a plain Lua error when `code` or `message` is not a string.
---
--- Example:
--- ```lua
--- error(vidu.Error.new{ code = "ShotInvalid", message = "shot \"x\" has no prompt", shot = "x" })
--- ```
---@param fields { code: string, message: string, [string]: any } code and message, and any other fields to keep.
---@return vidu.Error err
---@nodiscard
function vidu.Error.new(fields) end

--- Whether `x` is a vidu.Error.
---
--- Example:
--- ```lua
--- local ok, err = pcall(t.wait, t)
--- if not ok and vidu.Error.is(err) and err.code == "Timeout" then print("still running") end
--- ```
---@param x any Any value, e.g. what pcall caught.
---@return boolean
---@nodiscard
function vidu.Error.is(x) end

--- One call the journal holds (`vidu.journal`).
---@class vidu.JournalEntry
---@field id integer The journal's row id.
---@field script string|nil The script's absolute path.
---@field shot string|nil The call's name.
---@field kind vidu.Kind|nil The create call.
---@field model string|nil The model asked for.
---@field task_id string|nil The remote task id, once the API answered.
---@field state string|nil The last state recorded: submitting, sending, created, queueing, processing, success or failed.
---@field err_code string|nil Why it failed, e.g. "UserCancelled".
---@field credits integer|nil Credits charged, once known.
---@field file string|nil The downloaded clip.
---@field duration number|nil Seconds.
---@field created_at number Unix seconds.
---@field updated_at number Unix seconds.

--- One credit package of the account (`vidu.credits`).
---@class vidu.CreditEntry
---@field type string The package type.
---@field credit_remain integer Credits left in it.
---@field concurrency_limit integer Tasks that may run at once.
---@field current_concurrency integer Tasks running now.
---@field queue_count integer Tasks queued now.

-- --- aliases -------------------------------------------------------------------

--- A kind of create call: the name of its `vidu.<kind>` function.
---@alias vidu.Kind
---| "text2video" # a prompt alone
---| "img2video" # a start image and a prompt
---| "start_end" # a first and a last image
---| "reference" # reference images (and videos, sounds or subjects)
---| "extend" # a video continued
---| "multiframe" # a start image and 2-9 key frames

--- An image input: a file path, an http(s) URL, a `data:` URI, or a Frame
--- (`media.frame`, `clip:last_frame()`). Local files are probed (format by
--- content, size, ratio) before anything is sent, then streamed inline.
---@alias vidu.Image string|media.Frame

--- A video input: a file path, an http(s) URL, or a Clip. A Clip from this API
--- goes to `extend` as `video_creation_id`, so nothing is uploaded.
---@alias vidu.Video string|vidu.Clip

--- A task's state as `t.state` reads it.
---@alias vidu.TaskState
---| "submitting" # checked, not yet answered by the API
---| "created" # the API made the task
---| "queueing" # waiting for a free slot of the account's concurrency
---| "processing" # being generated
---| "success" # generated (the clip may still be downloading)
---| "failed" # failed, cancelled, refused, or timed out here (see `t.error`)

--- Models of `vidu.text2video` (`vidu.models("text2video")` lists the current dialect's).
---@alias vidu.Text2VideoModel
---| "viduq3-pro" # 1-16 s, 540p/720p/1080p, sound by default
---| "viduq3-turbo" # faster q3: 1-16 s, 540p/720p/1080p
---| "viduq2" # 1-10 s, 540p/720p/1080p
---| "viduq2-pro-fast" # Vtrix dialect only: 1-8 s, 720p/1080p
---| "viduq1" # 5 s, 1080p

--- Models of `vidu.img2video`.
---@alias vidu.Img2VideoModel
---| "viduq3-pro" # 1-16 s, sound by default
---| "viduq3-turbo" # 1-16 s
---| "viduq2-pro-fast" # 1-10 s, 720p/1080p
---| "viduq2-pro" # 1-10 s
---| "viduq2-turbo" # 1-10 s
---| "viduq1" # 5 s, 1080p
---| "viduq1-classic" # official dialect only: 5 s, 1080p
---| "vidu2.0" # 4 s (360p/720p/1080p) or 8 s (720p)

--- Models of `vidu.start_end`.
---@alias vidu.StartEndModel
---| "viduq3-turbo" # 1-16 s
---| "viduq3-pro" # 1-16 s
---| "viduq2-pro-fast" # 1-8 s, 720p/1080p
---| "viduq2-pro" # 1-8 s
---| "viduq2-turbo" # 1-8 s
---| "viduq1" # official dialect only: 5 s, 1080p
---| "viduq1-classic" # official dialect only: 5 s, 1080p
---| "vidu2.0" # official dialect only: 4 or 8 s

--- Models of `vidu.reference`.
---@alias vidu.ReferenceModel
---| "viduq3-mix" # official dialect only: 1-16 s, 720p/1080p, no subjects
---| "viduq3" # 3-16 s
---| "viduq3-turbo" # official dialect only: subjects only, 3-16 s
---| "viduq2-pro" # 0-10 s (0 = auto length); also takes videos
---| "viduq2" # 1-10 s
---| "viduq2-pro-fast" # Vtrix dialect only: 1-10 s, 720p/1080p
---| "viduq1" # official dialect only: 5 s, 1080p
---| "vidu2.0" # 4 s, 360p/720p

--- Models of `vidu.extend`.
---@alias vidu.ExtendModel
---| "viduq2-pro" # adds 1-7 s
---| "viduq2-turbo" # adds 1-7 s

--- Models of `vidu.multiframe`.
---@alias vidu.MultiframeModel
---| "viduq2-pro" # official dialect only; 2-7 s per key frame
---| "viduq2-turbo" # 2-7 s per key frame

--- The options of any kind, for `vidu.validate` and `vidu.estimate`.
---@alias vidu.Options vidu.Text2VideoOptions|vidu.Img2VideoOptions|vidu.StartEndOptions|vidu.ReferenceOptions|vidu.ExtendOptions|vidu.MultiframeOptions

-- --- options -------------------------------------------------------------------

--- Options every create call takes: reel's own (`name`, `fresh`,
--- `retry_failed`, `out`, never sent) and the API's shared fields.
---@class vidu.CommonOptions
---@field name? string The shot's label, 1-64 characters: progress lines, file names (`<name>-<task id>.mp4`), the journal. Not sent.
---@field fresh? boolean true: create a new task every run instead of replaying the journal's.
---@field retry_failed? boolean true: pay for a new task when the journal holds a failed one (default: raise its failure again; `--retry-failed` sets it for every call).
---@field out? string The folder the clip is downloaded to, instead of `--out`.
---@field resolution? "360p"|"540p"|"720p"|"1080p" Output resolution; the allowed set and the default depend on the model (720p for q2/q3, 1080p for q1).
---@field seed? integer 0-2147483647; absent or 0: the server picks one.
---@field payload? string Up to 1,048,576 characters, returned with the task. Default: a `reel:<random>` tag that lets a lost create be found again.
---@field callback_url? string An http(s) URL Vidu posts the task's states to, signed.
---@field watermark? boolean Add Vidu's "AI generated" mark (default false).
---@field wm_url? string An http(s) URL of the watermark image (default: Vidu's mark).
---@field meta_data? string JSON text of AIGC labels, e.g. `'{"Label":"..."}'`.

---@class (exact) vidu.Text2VideoOptions: vidu.CommonOptions
---@field model vidu.Text2VideoModel Required.
---@field prompt string Required; at most 5000 characters on q3, 2000 on the others.
---@field duration? integer Seconds: 1-16 on q3, 1-10 on viduq2, 5 on viduq1 (default 5).
---@field aspect_ratio? "16:9"|"9:16"|"1:1"|"4:3"|"3:4" Default 16:9; 4:3 and 3:4 on q2/q3 only.
---@field style? "general"|"anime" Default general; ignored by q2 and q3.
---@field movement_amplitude? "auto"|"small"|"medium"|"large" Default auto; ignored by q2 and q3.
---@field bgm? boolean Library music (default false); not on q3, no effect when q2 runs 9-10 s.
---@field audio? boolean Sound made with the picture: q3 only (default true there).
---@field off_peak? boolean The cheaper queue, done within 48 h (default false); q3 needs audio = true; not under Vtrix.
---@field wm_position? integer Watermark corner: 1 top-left, 2 top-right, 3 bottom-right (default), 4 bottom-left.

---@class (exact) vidu.Img2VideoOptions: vidu.CommonOptions
---@field model vidu.Img2VideoModel Required.
---@field image? vidu.Image The start frame (required unless `images` is given).
---@field images? vidu.Image[] The API's name: a list of exactly one start frame.
---@field prompt? string At most 5000 characters on q3, 2000 on the others; ignored when is_rec = true.
---@field duration? integer Seconds: 1-16 on q3, 1-10 on q2, 5 on q1, 4 or 8 on vidu2.0 (default 5; vidu2.0: 4).
---@field is_rec? boolean Let Vidu write the prompt (+10 credits).
---@field audio? boolean q3: sound with the picture (default true); others: dialogue with voice_id (default false, not with off_peak).
---@field audio_type? "all"|"speech_only"|"sound_effect_only" With audio = true (default all).
---@field voice_id? string A voice from Vidu's list or a cloned one; ignored by q3.
---@field bgm? boolean Library music (default false); not on q3.
---@field movement_amplitude? "auto"|"small"|"medium"|"large" Default auto; ignored by q2 and q3.
---@field off_peak? boolean The cheaper queue (default false); see text2video.
---@field wm_position? integer Watermark corner 1-4 (default 3, bottom-right).

---@class (exact) vidu.StartEndOptions: vidu.CommonOptions
---@field model vidu.StartEndModel Required.
---@field first? vidu.Image The start frame (required unless `images` is given).
---@field last? vidu.Image The end frame, within 0.8-1.25 times the start frame's size (required unless `images` is given).
---@field images? vidu.Image[] The API's name: `{ first, last }`.
---@field prompt? string At most 5000 characters on q3, 2000 on the others; ignored when is_rec = true.
---@field duration? integer Seconds: 1-16 on q3, 1-8 on q2, 5 on q1, 4 or 8 on vidu2.0 (default 5; vidu2.0: 4).
---@field is_rec? boolean Let Vidu write the prompt (+10 credits).
---@field audio? boolean Sound with the picture: q3 only (default true there).
---@field bgm? boolean Library music (default false); not on q3.
---@field movement_amplitude? "auto"|"small"|"medium"|"large" Default auto; ignored by q2 and q3.
---@field off_peak? boolean The cheaper queue (default false); see text2video.
---@field wm_position? integer Watermark corner 1-4 (default 3, bottom-right).

--- A subject of a reference call, named in the prompt as `@name` (or `@id`).
---@class vidu.Subject
---@field id? string The handle in the prompt (older models).
---@field name? string The handle in the prompt (newer models); unique in the request.
---@field images? vidu.Image[] 1-3 images of the subject.
---@field videos? vidu.Video[] viduq2-pro only: a video of the subject.
---@field voice_id? string The subject's voice; ignored by q3.
---@field server_id? string A subject kept in Vidu's subject library.

---@class (exact) vidu.ReferenceOptions: vidu.CommonOptions
---@field model vidu.ReferenceModel Required.
---@field prompt string Required; at most 5000 characters (2000 on viduq2, q1, vidu2.0 and viduq2-pro-fast).
---@field images? vidu.Image[] 1-7 reference images, each at least 128x128 (1-4 with videos); or give subjects.
---@field videos? vidu.Video[] viduq2-pro only: 1-2 reference videos.
---@field sounds? string[] 1-7 mp3 clips as URLs or `data:audio/mp3;base64,` URIs; not under Vtrix.
---@field subjects? vidu.Subject[] 1-7 subjects instead of images/videos.
---@field auto_subjects? boolean Use Vidu's smart subject library (default false).
---@field duration? integer Seconds: 1-16 on viduq3-mix, 3-16 on viduq3, 0-10 on viduq2-pro (0 = auto), 1-10 on viduq2, 5 on q1, 4 on vidu2.0.
---@field aspect_ratio? string Default 16:9; "9:16", "1:1", "4:3", "3:4", and on q2/q3 also "auto" or any W:H within 1:4-4:1.
---@field audio? boolean q3: sound with the picture (default true); subject calls on q2/q1/2.0: dialogue (default false).
---@field audio_type? "all"|"speech_only"|"sound_effect_only" With audio = true (default all).
---@field bgm? boolean Library music (default false); not on q3.
---@field movement_amplitude? "auto"|"small"|"medium"|"large" Default auto; ignored by q2 and q3.
---@field off_peak? boolean The cheaper queue (default false); not on viduq3-mix.
---@field wm_position? integer Watermark corner 1-4 (default 3, bottom-right).

---@class (exact) vidu.ExtendOptions: vidu.CommonOptions
---@field model vidu.ExtendModel Required.
---@field video? vidu.Video The video to continue, 4-60 s long (one of video, video_url, video_creation_id is required).
---@field video_url? string The API's name for a video given by URL (or a local file, sent inline).
---@field video_creation_id? string The API's name for a creation of an earlier task (`clip.creation_id`).
---@field last? vidu.Image The image the extension should end on.
---@field images? vidu.Image[] The API's name: `{ last }`.
---@field prompt? string At most 2000 characters.
---@field duration? integer Seconds added: 1-7 (default 5).
---@field wm_position? "top_left"|"top_right"|"bottom_right"|"bottom_left" Watermark corner (default bottom_left).

--- One key frame of a multiframe call.
---@class vidu.KeyFrame
---@field image? vidu.Image The key frame this segment ends on (required; `key_image` is the API's name).
---@field key_image? vidu.Image The API's name for image.
---@field prompt? string The transition from the previous frame, at most 2000 characters.
---@field duration? integer Seconds of this segment, 2-7 (default 5).

---@class (exact) vidu.MultiframeOptions: vidu.CommonOptions
---@field model vidu.MultiframeModel Required.
---@field start? vidu.Image The first frame (required unless `start_image` is given).
---@field start_image? vidu.Image The API's name for start.
---@field frames? vidu.KeyFrame[] 2-9 key frames in timeline order (required unless `image_settings` is given).
---@field image_settings? vidu.KeyFrame[] The API's name for frames.
---@field wm_position? "top_left"|"top_right"|"bottom_right"|"bottom_left" Watermark corner (default bottom_left).

---@class vidu.WaitOptions
---@field timeout? number Seconds of processing before `Timeout` (default 900); time queued does not count.
---@field queue_timeout? number Seconds queued before `Timeout` (default: no limit).

---@class vidu.JournalOptions
---@field limit? integer How many calls, newest first: 1-100000 (default 10).

---@class vidu.ProgressOptions
---@field name string Required: the row's name (a shot); a later call with the same name updates the row.
---@field state? string What the row says, e.g. "waiting" (required unless done = true).
---@field detail? string More words, e.g. "on noon".
---@field credits? integer Credits to show, a whole number >= 0.
---@field done? boolean true: take the row off, silently.
---@field final? boolean true: print the row as a finished line and take it off.

-- --- create calls --------------------------------------------------------------

--- Makes a video from a prompt. The options are checked here (a bad one raises
--- before anything is sent); the Task comes back at once.
---
--- Errors:
--- - `FieldLacking`: a required option is missing (`err.field`).
--- - `FieldInvalid`: an option has a wrong type or value; the message names the rule and what is allowed.
--- - `FieldUnwanted`: an option this kind or model does not take.
--- - `ModelUnavailable`: a model the kind or the dialect does not offer.
--- - `BadSetting`: `VIDU_DIALECT` is not vidu or vtrix.
--- - `NoApiKey`, `JournalFailed`: at the first remote call.
---
--- Example:
--- ```lua
--- local t = vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn",
---                            duration = 5, aspect_ratio = "16:9", name = "open" }
--- local clip = t:wait()
--- ```
---@async
---@param opts vidu.Text2VideoOptions
---@return vidu.Task task
function vidu.text2video(opts) end

--- Makes a video that starts from an image. A local file is probed first
--- (an image by content, within Vidu's size and ratio limits).
---
--- Errors:
--- - `FieldLacking`, `FieldInvalid`, `FieldUnwanted`, `ModelUnavailable`: see `vidu.text2video`.
--- - `ImageFormatInvalid`: the image is not a PNG, JPEG or WebP (or cannot be read).
--- - `PageSizeOutOfRange`: the image's size or ratio is out of Vidu's limits.
--- - `FieldItemCountOutOfRange`: `images` does not hold exactly one image.
--- - `MediaFailed`: probing the file failed for another reason.
---
--- Example:
--- ```lua
--- local t = vidu.img2video{ model = "viduq2-pro", image = "assets/cliff.png",
---                           prompt = "gulls circle the lighthouse" }
--- ```
---@async
---@param opts vidu.Img2VideoOptions
---@return vidu.Task task
function vidu.img2video(opts) end

--- Makes a video from a first to a last image. Both are probed, and their
--- sizes must be within 0.8-1.25 of each other.
---
--- Errors:
--- - `FieldLacking`: first or last is missing.
--- - `FieldInvalid`, `FieldUnwanted`, `ModelUnavailable`: see `vidu.text2video`.
--- - `ImageFormatInvalid`, `PageSizeOutOfRange`, `MediaFailed`: see `vidu.img2video`.
---
--- Example:
--- ```lua
--- local t = vidu.start_end{ model = "viduq2-pro", first = clip:last_frame(),
---                           last = "assets/dusk.png", prompt = "day turns to night" }
--- ```
---@async
---@param opts vidu.StartEndOptions
---@return vidu.Task task
function vidu.start_end(opts) end

--- Makes a video that keeps the look of reference images (viduq2-pro: also
--- videos), or of named subjects.
---
--- Errors:
--- - `FieldLacking`: no prompt, or neither images nor subjects.
--- - `FieldItemCountOutOfRange`: too many or too few images, videos, sounds or subjects.
--- - `FieldUnwanted`: subjects mixed with images, videos on a model other than viduq2-pro, sounds under Vtrix.
--- - `FieldInvalid`, `ModelUnavailable`, `ImageFormatInvalid`, `PageSizeOutOfRange`, `MediaFailed`: see `vidu.img2video`.
---
--- Example:
--- ```lua
--- local t = vidu.reference{ model = "viduq2-pro", images = { "assets/keeper.png", "assets/lamp.png" },
---                           prompt = "the keeper lights the lamp", aspect_ratio = "16:9" }
--- ```
---@async
---@param opts vidu.ReferenceOptions
---@return vidu.Task task
function vidu.reference(opts) end

--- Continues a video by `duration` seconds. A Clip from this API is sent as
--- `video_creation_id`; its length (4-60 s) is checked here.
---
--- Errors:
--- - `FieldLacking`: no video.
--- - `FieldInvalid`: a Clip or file shorter than 4 s or longer than 60 s, or another bad option.
--- - `FieldUnwanted`, `ModelUnavailable`, `ImageFormatInvalid`, `PageSizeOutOfRange`, `MediaFailed`: see `vidu.img2video`.
---
--- Example:
--- ```lua
--- local more = vidu.extend{ model = "viduq2-pro", video = clip, duration = 4,
---                           prompt = "the camera pushes in" }
--- ```
---@async
---@param opts vidu.ExtendOptions
---@return vidu.Task task
function vidu.extend(opts) end

--- Makes one continuous video through 2-9 key frames from a start image.
---
--- Errors:
--- - `FieldLacking`: no start image or no key frames.
--- - `FieldItemCountOutOfRange`: fewer than 2 or more than 9 key frames.
--- - `FieldInvalid`, `FieldUnwanted`, `ModelUnavailable`, `ImageFormatInvalid`, `PageSizeOutOfRange`, `MediaFailed`: see `vidu.img2video`.
---
--- Example:
--- ```lua
--- local t = vidu.multiframe{ model = "viduq2-turbo", start = "assets/cliff.png", frames = {
---   { image = "assets/keeper.png", prompt = "the door opens", duration = 3 },
---   { image = "assets/lamp.png", prompt = "up to the lamp" },
--- } }
--- ```
---@async
---@param opts vidu.MultiframeOptions
---@return vidu.Task task
function vidu.multiframe(opts) end

-- --- remote ----------------------------------------------------------------------

--- Attaches to an existing remote task, e.g. one a timed-out run left behind.
---
--- Errors:
--- - a plain Lua error when the id is not letters, digits, '-' and '_'.
--- - `NoApiKey`, `JournalFailed`, `BadSetting`: the settings.
---
--- Example:
--- ```lua
--- local clip = vidu.task("812345678901234567"):wait()
--- ```
---@param id string The task id, as the API returns it.
---@return vidu.Task task
function vidu.task(id) end

--- The account's credit balance (`GET /ent/v2/credits`): the total and each package.
---
--- Errors:
--- - `Unsupported`: the Vtrix dialect has no credits call.
--- - `Unreachable`: the server could not be reached.
--- - `Unauthorized`, ...: the API's refusal (`err.http_status`).
--- - `BadAnswer`: the answer could not be read.
--- - `NoApiKey`, `JournalFailed`, `BadSetting`: the settings.
---
--- Example:
--- ```lua
--- local total, packages = vidu.credits()
--- print(total, packages[1].concurrency_limit)
--- ```
---@async
---@return integer total
---@return vidu.CreditEntry[] packages
function vidu.credits() end

-- --- local ---------------------------------------------------------------------

--- Runs the local checks of a create call alone: options and files, nothing sent.
---
--- Errors:
--- - a plain Lua error for an unknown kind or when opts is not a table.
--- - returned, not raised: the vidu.Error a create call would raise (`err.problems` lists every problem).
---
--- Example:
--- ```lua
--- local ok, err = vidu.validate("extend", { model = "viduq2-pro", video = "a.mp4", duration = 9 })
--- if not ok then print(err.code, err.field, err.message) end
--- ```
---@async
---@param kind vidu.Kind Which create call.
---@param opts vidu.Options The options that call would get.
---@return true|nil ok
---@return vidu.Error|nil err
function vidu.validate(kind, opts) end

--- The credits a create call would cost, from Vidu's price table (off-peak,
--- is_rec and audio included).
---
--- Errors:
--- - the vidu.Error a create call would raise for these options.
--- - a plain Lua error for an unknown kind or when opts is not a table.
---
--- Example:
--- ```lua
--- print(vidu.estimate("text2video", { model = "viduq2", prompt = "x", duration = 5 }))
--- ```
---@async
---@param kind vidu.Kind Which create call.
---@param opts vidu.Options The options that call would get.
---@return integer credits
---@nodiscard
function vidu.estimate(kind, opts) end

--- Every option name `vidu.<kind>{}` accepts, sorted.
---
--- Errors:
--- - a plain Lua error for an unknown kind.
---
--- Example:
--- ```lua
--- print(table.concat(vidu.options("extend"), " "))
--- ```
---@param kind vidu.Kind Which create call.
---@return string[] names
---@nodiscard
function vidu.options(kind) end

--- The models that make `kind` under the current dialect, newest first.
---
--- Errors:
--- - a plain Lua error for an unknown kind.
--- - `BadSetting`: `VIDU_DIALECT` is not vidu or vtrix.
---
--- Example:
--- ```lua
--- print(table.concat(vidu.models("img2video"), ", "))
--- ```
---@param kind vidu.Kind Which create call.
---@return string[] models
---@nodiscard
function vidu.models(kind) end

--- The journal's most recent calls, newest first, and the journal's path.
--- Reads without making or changing a journal; needs no key. A journal that
--- does not exist yet lists as nothing.
---
--- Errors:
--- - `JournalFailed`: the journal cannot be read.
--- - a plain Lua error for an unknown option or a bad limit.
---
--- Example:
--- ```lua
--- local calls, path = vidu.journal{ limit = 5 }
--- for _, c in ipairs(calls) do print(c.shot, c.state, c.credits) end
--- ```
---@param opts? vidu.JournalOptions
---@return vidu.JournalEntry[] calls
---@return string path
function vidu.journal(opts) end

--- Shows a row of the script's own on the progress board, beside the tasks'
--- rows, for work that has no task yet. Keyed by name; needs no key and no
--- journal; nothing is shown with `--quiet`.
---
--- Errors:
--- - a plain Lua error for an unknown option, a missing name or state, or done and final together.
---
--- Example:
--- ```lua
--- vidu.progress{ name = "dusk", state = "waiting", detail = "on noon" }
--- vidu.progress{ name = "dusk", done = true }
--- ```
---@param row vidu.ProgressOptions
function vidu.progress(row) end

return vidu
