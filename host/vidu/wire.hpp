// The two wire dialects (DESIGN.md "--dialect"): where each operation goes,
// what its request body looks like, and how to read the answers, for the
// official Vidu API (../shared/reference/vidu-api.md §10-§13) and the Vtrix
// aggregator (§16). Pure functions, no network: the client (client.hpp) sends
// what these build, and the parsers are fuzzed (tests/fuzz/wire_fuzz.cpp).
//
// The parsers read defensively (§18 Q16, Q20): every documented variant of a
// field is accepted, unknown fields are ignored, and anything that cannot be
// read throws WireError naming what was wrong, never crashing on hostile input.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "host/vidu/capabilities.hpp"

namespace reel::vidu {

// A task's life as the client sees it: `submitting` until the create request
// has been answered, then the API's five states (§11.1).
enum class TaskState { submitting, created, queueing, processing, success, failed };
const char* state_name(TaskState state);  // "submitting", "created", ...
bool is_terminal(TaskState state);        // success or failed

// One result of a task (§11.2 creations[], §16.3 output[].content[]).
struct Creation {
  std::string id;  // official creations[].id (extend's video_creation_id); "" on Vtrix
  std::string url;
  std::string cover_url;
  std::string watermarked_url;
  double duration = 0;  // seconds, when the answer says (creations[].video.duration); else 0
};

// A task as one answer describes it.
struct RemoteTask {
  std::string id;
  TaskState state = TaskState::created;
  std::string err_code;        // official err_code; Vtrix error.code (as text); "" when none
  std::string err_message;     // Vtrix error.message / error.error_message / plain string
  std::optional<int> credits;  // official credits; Vtrix usage.credits when given
  std::string payload;         // official payload echo; "" when absent
  std::vector<Creation> creations;
  std::optional<double> progress;  // 0..1 when the answer says (Vtrix)
};

// A 2xx answer that does not hold what the endpoint promises.
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a non-2xx answer says (§13.1, §16.3-16.4). Never holds a header.
struct ApiFailure {
  int http_status = 0;
  std::string code;      // official `reason` ("TooManyRequests"); Vtrix error.code as text;
                         // the status's official name (§13.2) when the body names none or
                         // only repeats the status (Vtrix's 401); else "HTTP <status>"
  std::string message;   // the server's text, control characters removed, at most 300 bytes
  std::string trace_id;  // official metadata.trace_id, when given
};

// --- where requests go ------------------------------------------------------

// "/ent/v2/text2video" ... | "/model/v1/generation".
std::string create_path(Dialect dialect, Endpoint endpoint);
// "/ent/v2/tasks/ID/creations" | "/model/v1/generation/task/ID"; ID is
// percent-encoded.
std::string task_path(Dialect dialect, const std::string& id);
// "/ent/v2/tasks/ID/cancel"; nothing for Vtrix, which has no cancel (§16.1).
std::optional<std::string> cancel_path(Dialect dialect, const std::string& id);
// The official list call for these tasks (§11.3), at most 100 ids:
// "/ent/v2/tasks?task_ids=A&task_ids=B&pager.pagesz=2". Repeated keys are how
// gRPC gateways read repeated fields; the client falls back to one query per
// task if an answer lacks a task it asked for (Q14).
std::string list_path(const std::vector<std::string>& ids);
// Tasks created since `from_unix` (one page of 100), for finding a task by its
// payload tag after a lost create answer: "/ent/v2/tasks?created_at.from=
// 2026-11-21T10:00:00Z&pager.pagesz=100[&pager.page_token=T]".
std::string recent_tasks_path(double from_unix, const std::string& page_token);
// "/ent/v2/credits"; nothing for Vtrix.
std::optional<std::string> credits_path(Dialect dialect);
// "Authorization: Token KEY" | "Authorization: Bearer KEY" (§1.1, §16.1).
std::string auth_header(Dialect dialect, const std::string& key);

// --- the create body --------------------------------------------------------

// A local file the body carries inline as a data URL.
struct InlineFile {
  std::string pointer;  // JSON pointer of its place in the official body ("/images/0")
  std::string path;
  std::string mime;  // "image/png", "video/mp4", ...
  std::string sha256;  // of its bytes, when already known (the journal key)
};

// The create request's body text. Official: `body` as is. Vtrix: the
// envelope {"model": "<vtrix id>", "input": [{"params": body without "model"}]}
// (§16.2). Each InlineFile's Base64 is written straight into the output text
// (the file is read once, no intermediate copy of it). Throws
// std::runtime_error naming the file when one cannot be read, and
// std::invalid_argument when the dialect does not sell the endpoint/model.
std::string create_body(Dialect dialect, Endpoint endpoint, nlohmann::json body,
                        const std::vector<InlineFile>& files);

// --- reading answers --------------------------------------------------------

// The create answer and the task query share a shape in each dialect (§10,
// §11.2, §16.3). Official states are the five names; Vtrix's pending/queued
// read as queueing, in_progress/processing/running as processing,
// completed/succeeded as success, failed/cancelled as failed. Throws WireError.
RemoteTask parse_task(Dialect dialect, std::string_view body);

struct TaskPage {
  std::vector<RemoteTask> tasks;
  std::string next_page_token;  // "" on the last page
};
// The official list answer (§11.3). Throws WireError.
TaskPage parse_task_list(std::string_view body);

// Any non-2xx answer, in either dialect; never throws.
ApiFailure parse_failure(Dialect dialect, int http_status, std::string_view body);

// GET /ent/v2/credits (§11.5): `remains` or `remaining_credits` (Q16).
struct Balance {
  struct Entry {
    std::string type;  // "test", "metered", "concurrent"
    int64_t credit_remain = 0;
    int concurrency_limit = 0;
    int current_concurrency = 0;
    int queue_count = 0;
  };
  int64_t total = 0;  // the sum of credit_remain
  std::vector<Entry> entries;
};
Balance parse_balance(std::string_view body);  // throws WireError

}  // namespace reel::vidu
