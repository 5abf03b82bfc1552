---@meta media

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- bindings/media.cpp by tests/lua/meta_spec.lua; docs/lua-api.md is made from
-- this file by tools/lua_api_doc.lua.

--- Media files with FFmpeg's libraries, in process, a global (also
--- `require "media"`). Each call runs on libuv's thread pool while the calling
--- task waits, so other tasks keep running. Failures are vidu.Error objects
--- (`code = "MediaInvalid"`, `path`, `message`); files are written under a
--- temporary name and renamed when complete. Where a path goes, anything with
--- a `path` field (a Clip, a Frame) does too.
---@class media
media = {}

--- A file path, or a table with a `path` field (a Clip, a Frame).
---@alias media.Source string|vidu.Clip|media.Frame|{ path: string }

--- What a file is checked for, with Vidu's documented limits.
---@alias media.Use
---| "extend" # a video to extend: 4-60 s, mp4/mov/avi, ...
---| "reference" # a reference image or video: at least 128x128, ratio 1:4-4:1
---| "image" # a start, end or key frame image: png/jpeg/webp, ratio 1:4-4:1
---| "start_end" # two images, each an image, sizes within 0.8-1.25

--- The facts `media.probe` reads.
---@class media.Info
---@field path string The file, as given.
---@field kind "video"|"image"|"audio" By content, not by name.
---@field format string The container, as ffprobe's format_name ("mov,mp4,m4a,3gp,3g2,mj2", "png_pipe", ...).
---@field mime string What to send it as: "video/mp4", "image/png", "image/jpeg", ...
---@field duration number Seconds; 0 for still images.
---@field size integer Bytes on disk.
---@field bit_rate integer Bits per second; 0 when unknown.
---@field video media.VideoInfo|nil The first video stream (images have one).
---@field audio media.AudioInfo|nil The first audio stream.

---@class media.VideoInfo
---@field codec string FFmpeg's codec name: "h264", "png", ...
---@field width integer As displayed (rotation applied).
---@field height integer As displayed.
---@field coded_width integer As stored in the stream.
---@field coded_height integer As stored in the stream.
---@field rotation integer Degrees counter-clockwise.
---@field sar string Sample aspect ratio, "1:1".
---@field fps number Average frame rate; 0 for images.
---@field frame_rate string The same as a fraction, "30000/1001".
---@field pix_fmt string "yuv420p", "rgb24", ...; "" when unknown.
---@field frames integer Frames the container counts; 0 when unknown.
---@field duration number Seconds.

---@class media.AudioInfo
---@field codec string FFmpeg's codec name: "aac", "mp3", ...
---@field channels integer
---@field sample_rate integer Samples per second.
---@field layout string "stereo", "mono", ...
---@field duration number Seconds.

--- A frame written as an RGB PNG.
---@class media.Frame
---@field path string The PNG.
---@field width integer Pixels.
---@field height integer Pixels.
---@field time number The frame's presentation time, seconds.

---@class media.FrameOptions
---@field at? "first"|"last"|number Which frame: the first (default), the true last, or the one at that many seconds.
---@field out? string The PNG to write (default `$REEL_OUT/frames/<stem>-<at>.png`, else `out/frames/...`); its folder is made.
---@field width? integer Scale to this width, 1-8192 (aspect kept; with height: fit inside both).
---@field height? integer Scale to this height, 1-8192.

---@class media.StripOptions
---@field height? integer Each picture's height, 16-2160 (default 180).
---@field gap? integer Pixels between pictures, 0-256 (default 4).

--- The picture `media.strip` writes.
---@class media.Strip
---@field path string The PNG, `out`.
---@field width integer Pixels, gaps included.
---@field height integer Pixels.

---@class media.ConcatOptions
---@field mode? "auto"|"copy"|"reencode" auto (default): stream copy when every clip matches the first, else the odd ones re-encoded to match; copy: refuse clips that differ; reencode: every clip.

--- What `media.concat` did.
---@class media.ConcatInfo
---@field duration number Seconds of the joined film.
---@field reencoded boolean[] Per input: whether it was re-encoded to match the first.

--- Facts about a file: container, size, duration, and its video and audio
--- streams. Images (png, jpeg, webp) are recognised by content.
---
--- Errors:
--- - `MediaInvalid`: the file is missing or not media FFmpeg can read (`err.path`).
--- - a plain Lua error when the argument is neither a path nor has one.
---
--- Example:
--- ```lua
--- local info = media.probe("out/open-1795.mp4")
--- print(info.duration, info.video.width, info.video.height, info.audio and info.audio.codec)
--- ```
---@async
---@param source media.Source The file.
---@return media.Info info
function media.probe(source) end

--- Every problem a file has for a use, at once (an unreadable file is a
--- problem like any other). `start_end` checks two images together.
---
--- Errors:
--- - a plain Lua error for an unknown use, or when `start_end` is not given `{first, last}`.
---
--- Example:
--- ```lua
--- local ok, problems = media.check("clip.mp4", "extend")
--- if not ok then print(table.concat(problems, "; ")) end
--- print(media.check({ "a.png", "b.png" }, "start_end"))
--- ```
---@async
---@param source media.Source|media.Source[] A file, or `{first, last}` for start_end.
---@param use media.Use What it is for.
---@return true|nil ok
---@return string[]|nil problems In words a user acts on ("3.5 s long; extend needs 4-60 s").
function media.check(source, use) end

--- Writes one frame as an RGB PNG, rotation applied: the first, the true last
--- (not a seek guess), or the one at a time; scaled to fit width/height when given.
---
--- Errors:
--- - `MediaInvalid`: the file cannot be decoded, `at` is past its end, or width/height is not a whole number in range (`err.field`).
--- - `MediaFailed`: the PNG could not be written.
--- - a plain Lua error for a bad `at`.
---
--- Example:
--- ```lua
--- local f = media.frame("out/open.mp4", { at = "last", out = "out/open-last.png", width = 320 })
--- print(f.path, f.width, f.height, f.time)
--- ```
---@async
---@param source media.Source A video or an image.
---@param opts? media.FrameOptions
---@return media.Frame frame
function media.frame(source, opts) end

--- Puts pictures (PNG, JPEG or WebP paths, or Frames) side by side in one
--- PNG, each scaled to the same height. The folder of `out` must exist.
---
--- Errors:
--- - `MediaInvalid`: an empty list or a picture that is not a path or a Frame (`err.field = "pictures"`), a bad height or gap (`err.field`), a picture that cannot be read, or a missing folder.
---
--- Example:
--- ```lua
--- local s = media.strip({ clip:first_frame(), clip:last_frame() }, "out/strip.png", { height = 120 })
--- ```
---@async
---@param pictures (string|media.Frame)[] Left to right.
---@param out string The PNG to write.
---@param opts? media.StripOptions
---@return media.Strip strip
function media.strip(pictures, out, opts) end

--- Joins clips in order into one MP4: by stream copy when they match, else
--- re-encoding the odd ones (mode `auto`). The folder of `out` must exist.
---
--- Errors:
--- - `MediaInvalid`: a clip cannot be read or is a still image, `copy` was asked for clips that differ, or the folder of `out` does not exist.
--- - `MediaFailed`: joining failed for another reason.
--- - a plain Lua error for an empty list or an unknown mode.
---
--- Example:
--- ```lua
--- local path, info = media.concat({ open, push, "extra.mp4" }, "out/film.mp4", { mode = "auto" })
--- print(path, info.duration)
--- ```
---@async
---@param clips media.Source[] Clips or paths.
---@param out string The MP4 to write.
---@param opts? media.ConcatOptions
---@return string path
---@return media.ConcatInfo info
function media.concat(clips, out, opts) end

return media
