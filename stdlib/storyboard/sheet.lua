--- The contact sheet (index.html) of a rendered board, made from its manifest
--- alone: the film on top, then every shot in cut order (variants of one
--- group side by side) with its middle frame as cover, first and last frame,
--- prompt, model, duration, credits and a player; shots that an extension
--- replaced in the cut come after. Every path is relative, so the page works
--- from the file system with no server. A small script counts the pictures
--- that loaded into <body data-loaded data-total> and outlines any that did not.
local M = {}

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                         ['"'] = "&quot;", ["'"] = "&#39;" }))
end

-- Relative paths as URLs: each segment percent-encoded where it must be.
local function href(path)
  return esc((path:gsub("[^%w%-%._~/]", function(c) return ("%%%02X"):format(c:byte()) end)))
end

local STYLE = [[
:root { color-scheme: dark; --bg: #15171a; --card: #1f2226; --ink: #e8e6e3; --dim: #9aa0a6;
        --line: #30343a; --ok: #6fbf73; --bad: #e5534b; --accent: #f0b429; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { padding: 24px 32px 8px; }
h1 { margin: 0 0 4px; font-size: 28px; font-weight: 650; }
.facts { color: var(--dim); }
.facts b { color: var(--ink); font-weight: 600; }
.film { padding: 8px 32px 16px; }
.film video { width: 100%; max-width: 1100px; max-height: 62vh; background: #000; border-radius: 8px; display: block; }
.strip { display: block; max-width: 100%; margin-top: 12px; border-radius: 4px; }
.nofilm { padding: 16px; border: 1px dashed var(--bad); border-radius: 8px; color: var(--bad); max-width: 1100px; }
h2 { font-size: 18px; margin: 24px 32px 8px; color: var(--dim); font-weight: 600; }
.row { display: flex; gap: 16px; padding: 0 32px 16px; flex-wrap: wrap; }
.shot { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px;
        flex: 1 1 520px; max-width: 1100px; display: grid; grid-template-columns: 320px 1fr; gap: 14px; }
.row.group .shot { flex: 1 1 300px; grid-template-columns: 1fr; }
.shot.failed { border-color: var(--bad); }
.cover { width: 100%; aspect-ratio: 16 / 9; object-fit: contain; background: #000; border-radius: 6px; display: block; }
.ends { display: flex; gap: 6px; margin-top: 6px; }
.ends figure { margin: 0; flex: 1; }
.ends img { width: 100%; aspect-ratio: 16 / 9; object-fit: contain; background: #000; border-radius: 4px; display: block; }
figcaption { font-size: 12px; color: var(--dim); text-align: center; }
.title { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.title .n { color: var(--accent); font-weight: 700; }
.title h3 { margin: 0; font-size: 18px; }
.kind { font-size: 12px; padding: 1px 8px; border-radius: 10px; background: #2c3138; color: var(--dim); }
.state.success { color: var(--ok); } .state.failed, .state.skipped { color: var(--bad); }
.prompt { margin: 8px 0; font-size: 16px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; font-size: 13px; }
dt { color: var(--dim); } dd { margin: 0; font-variant-numeric: tabular-nums; }
.shot video { width: 100%; max-width: 480px; margin-top: 8px; border-radius: 6px; background: #000; display: block; }
.error { color: var(--bad); margin: 8px 0; }
img.missing { outline: 3px solid var(--bad); }
code { font-size: 12px; color: var(--dim); word-break: break-all; }
]]

local SCRIPT = [[
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; else imgs[i].classList.add("missing");
  }
  document.body.setAttribute("data-loaded", ok);
  document.body.setAttribute("data-total", imgs.length);
});
]]

local USE_WORDS = require("storyboard.describe").USE_WORDS

local function seconds(d) return d and ("%.2f s"):format(d) or "-" end

local function card(out, shot, number)
  local function w(...) for _, s in ipairs{ ... } do out[#out + 1] = s end end
  local failed = shot.error ~= nil
  w('<article class="shot', failed and " failed" or "", '" id="shot-', esc(shot.id), '">')
  w("<div>")
  if shot.thumbs then
    w('<img class="cover" src="', href(shot.thumbs.middle), '" alt="', esc(shot.id), ', middle frame (cover)" loading="eager">')
    w('<div class="ends"><figure><img src="', href(shot.thumbs.first), '" alt="first frame"><figcaption>first frame</figcaption></figure>')
    w('<figure><img src="', href(shot.thumbs.last), '" alt="last frame"><figcaption>last frame</figcaption></figure></div>')
  end
  w("</div><div>")
  w('<div class="title">', number and ('<span class="n">' .. number .. "</span>") or "", "<h3>", esc(shot.id),
    '</h3><span class="kind">', esc(shot.kind), '</span><span class="state ', esc(shot.state), '">',
    esc(shot.state), shot.replayed and " (from the journal)" or "", "</span></div>")
  if shot.prompt then w('<p class="prompt">', esc(shot.prompt), "</p>") end
  if failed then w('<p class="error">', esc(shot.error.code), ": ", esc(shot.error.message), "</p>") end
  w("<dl><dt>model</dt><dd>", esc(shot.model), "</dd>")
  w("<dt>duration</dt><dd>", seconds(shot.duration),
    shot.width and (" &middot; " .. shot.width .. "&times;" .. shot.height) or "", "</dd>")
  w("<dt>credits</dt><dd>", shot.credits and tostring(shot.credits) or ("~" .. shot.estimated_credits .. " (estimate)"), "</dd>")
  if #shot.after > 0 then
    local after = {}
    for _, a in ipairs(shot.after) do after[#after + 1] = USE_WORDS[a.use] .. a.shot end
    w("<dt>after</dt><dd>", esc(table.concat(after, ", ")), "</dd>")
  end
  if shot.extended_by then w("<dt>extended by</dt><dd>", esc(shot.extended_by), "</dd>") end
  if shot.task_id then w("<dt>task</dt><dd><code>", esc(shot.task_id), "</code></dd>") end
  if shot.file then w('<dt>file</dt><dd><a href="', href(shot.file), '"><code>', esc(shot.file), "</code></a></dd>") end
  w("</dl>")
  if shot.file then
    w('<video controls preload="none" src="', href(shot.file), '"',
      shot.thumbs and (' poster="' .. href(shot.thumbs.middle) .. '"') or "", "></video>")
  end
  w("</div></article>")
end

function M.html(manifest)
  local out = {}
  local function w(...) for _, s in ipairs{ ... } do out[#out + 1] = s end end
  local by_id = {}
  for _, shot in ipairs(manifest.shots) do by_id[shot.id] = shot end
  w('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')
  w('<meta name="viewport" content="width=device-width, initial-scale=1">')
  w("<title>", esc(manifest.title), " &middot; storyboard</title><style>", STYLE, "</style></head><body>")
  w("<header><h1>", esc(manifest.title), '</h1><div class="facts">')
  w("<b>", #manifest.shots, "</b> shots, <b>", #manifest.cut, "</b> in the cut")
  if manifest.film then w(" &middot; film <b>", seconds(manifest.film.duration), "</b>") end
  w(" &middot; <b>", manifest.credits, "</b> credits (estimate ", manifest.estimated_credits, ")</div></header>")
  w('<section class="film">')
  if manifest.film then
    local cover = by_id[manifest.cut[1]] and by_id[manifest.cut[1]].thumbs
    w('<video controls preload="metadata" src="', href(manifest.film.path), '"',
      cover and (' poster="' .. href(cover.middle) .. '"') or "", "></video>")
  elseif manifest.film_wanted then
    w('<div class="nofilm">No film: a shot of the cut has no clip (see below).</div>')
  end
  if manifest.strip then w('<img class="strip" src="', href(manifest.strip.path), '" alt="the shots, middle frames">') end
  w("</section><h2>The cut</h2>")
  local i = 1
  while i <= #manifest.cut do
    local shot = by_id[manifest.cut[i]]
    local j = i
    while shot.group and j < #manifest.cut and by_id[manifest.cut[j + 1]].group == shot.group do j = j + 1 end
    w('<div class="row', j > i and " group" or "", '">')
    for k = i, j do card(out, by_id[manifest.cut[k]], k) end
    w("</div>")
    i = j + 1
  end
  local others = {}
  for _, shot in ipairs(manifest.shots) do
    if not shot.in_cut then others[#others + 1] = shot end
  end
  if #others > 0 then
    w('<h2>Replaced in the cut by their extensions</h2><div class="row">')
    for _, shot in ipairs(others) do card(out, shot, nil) end
    w("</div>")
  end
  w("<script>", SCRIPT, "</script></body></html>\n")
  return table.concat(out)
end

return M
