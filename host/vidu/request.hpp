// From the options a script passes to vidu.text2video{} & co. (DESIGN.md, the
// Lua API) to the official-dialect JSON body of the create request
// (../shared/reference/vidu-api.md §3-§8), plus the list of local files the
// body needs. No Lua and no FFmpeg here: the caller converts the Lua table to
// JSON, probes the local files with host/media and hands the facts back with
// apply_inputs(), then finish() runs the capability table's checks.
#pragma once

#include "host/vidu/capabilities.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reel::vidu {

// The Lua function names: "text2video", "img2video", "start_end",
// "reference", "extend", "multiframe".
std::optional<Endpoint> endpoint_from_kind(const std::string& kind);
const char* kind_name(Endpoint endpoint);

// Every option vidu.<kind>{} accepts, sorted: reel's own (name, fresh,
// retry_failed, out), the Lua names of media options (image, first, ...) and
// the API fields of the endpoint (DESIGN.md, the Lua API).
std::vector<std::string> option_names(Endpoint endpoint);

// A local file the request sends inline.
struct LocalInput {
  std::string path;     // the file as the script named it
  std::string pointer;  // where its data URL goes in the body (JSON pointer "/images/0")
  std::string field;    // the same as the API names it in errors ("images[0]")
  std::string option;   // the option the script wrote ("first", "frames[2].image")
  std::string use;      // host/media's check: "image", "reference" or "extend"
  bool video = false;
};

struct Request {
  Endpoint endpoint = Endpoint::text2video;
  std::string name;  // `name = "..."`: reel's label for the shot (progress, file names); not sent
  // The journal's replay rules for this call (issue 6); not sent.
  bool fresh = false;         // create a new task even when the journal has one
  bool retry_failed = false;  // create anew when the journal's task failed
  std::string out;  // `out = "folder"`: where this call's clip goes (else --out); not sent
  nlohmann::json body = nlohmann::json::object();  // official dialect
  std::vector<LocalInput> inputs;
  std::vector<FieldError> errors;  // every problem found so far, in order
};

// Maps the options (a JSON object) onto the body. Option problems (unknown
// names, an IMAGE/VIDEO of the wrong shape, both a Lua name and its API name)
// go to `errors`; local files go to `inputs` with a small placeholder in the
// body until apply_inputs() replaces it.
Request build_request(Endpoint endpoint, const nlohmann::json& options);

// What host/media found out about one LocalInput.
struct InputFacts {
  std::string unreadable;             // why probing failed; "" when probed
  std::string kind;                   // "image", "video" or "audio"
  std::string mime;                   // e.g. "image/png"
  std::int64_t size = 0;              // bytes on disk
  double duration = 0;                // seconds, for videos
  std::vector<std::string> problems;  // host/media check() for the input's use
  std::string sha256;                 // of the file's bytes: its identity in the journal
};

// Turns the facts (one per request.inputs entry, same order) into errors
// naming the file, and puts a placeholder data URL of the file's Base64 size
// in the body so the table's size rules (10 MB inline image, 20 MB body)
// apply without reading the file. `pair_problems`: start_end's
// check_start_end() findings about the two frames together.
void apply_inputs(Request& request, const std::vector<InputFacts>& facts,
                  const std::vector<std::string>& pair_problems = {});

struct Checked {
  std::vector<FieldError> errors;  // the request's own, then the table's
  std::vector<FieldError> warnings;
  std::optional<int> credits;  // set when there are no errors (§14)
  int duration = 0;            // the resolved duration (extend: seconds added; 0: auto)
};

// The capability table's checks (validate) for the dialect, and the price.
Checked finish(Request& request, Dialect dialect = Dialect::vidu);

// Bytes of Base64 text for `bytes` of data (with padding).
inline std::uint64_t base64_size(std::uint64_t bytes) {
  return (bytes + 2) / 3 * 4;
}

// `data:<mime>;base64,` followed by the file's contents in Base64, as the API
// takes inline media (§1.2). Throws std::runtime_error naming the file when
// it cannot be read.
std::string inline_data_url(const std::string& path, const std::string& mime);

}  // namespace reel::vidu
