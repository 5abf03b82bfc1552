// The two wire dialects: paths, headers and defensive readers of the
// answers. See wire.hpp; the create body is in wire_body.cpp.
#include "host/vidu/wire.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <system_error>

namespace reel::vidu {

namespace {

using nlohmann::json;

// ---- text ------------------------------------------------------------------

// RFC 3986 unreserved characters stay, everything else becomes %XX, so an id
// can never add a path segment or a query.
std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when the
// bytes there are not one (bad lead, bad continuation, overlong, surrogate).
size_t utf8_sequence(std::string_view s, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t n = 0;
  char32_t v = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, v = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, v = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, v = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

// Server text made safe to show and to put in JSON: C0/C1 controls and DEL
// dropped (tab and line breaks become spaces, so words stay apart), invalid
// UTF-8 replaced by U+FFFD, outer spaces trimmed, cut at a character boundary
// to at most `cap` bytes.
std::string clean_text(std::string_view in, size_t cap = 300) {
  std::string out;
  out.reserve(std::min(in.size(), cap));
  for (size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    size_t n = utf8_sequence(in, i, &cp);
    std::string_view piece;
    if (n == 0) {
      piece = "\xEF\xBF\xBD";
      n = 1;
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
      piece = " ";
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      piece = {};
    } else {
      piece = in.substr(i, n);
    }
    i += n;
    if (piece.empty() || (piece == " " && (out.empty() || out.back() == ' '))) continue;
    if (out.size() + piece.size() > cap) break;
    out += piece;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ---- reading JSON defensively ------------------------------------------------

// Which answer and which element a field belongs to, for error messages such
// as "task list: `tasks[2].state` is missing".
struct Where {
  const char* what;
  std::string prefix;

  [[noreturn]] void fail(std::string_view field, std::string_view problem) const {
    throw WireError(std::string(what) + ": `" + prefix + std::string(field) + "` " +
                    std::string(problem));
  }
};

json parse_object(std::string_view body, const char* what) {
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) throw WireError(std::string(what) + ": the body is not valid JSON");
  if (!doc.is_object()) throw WireError(std::string(what) + ": the body is not a JSON object");
  return doc;
}

// The member, or nullptr when absent or null (gRPC gateways and relays write
// null for unset fields).
const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> as_int64(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) {  // proto3 JSON writes int64 as a string; some relays do too (Q23)
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

std::optional<double> as_number(const json& v) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (std::isfinite(d)) return d;
    return std::nullopt;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    double out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty() && std::isfinite(out))
      return out;
  }
  return std::nullopt;
}

std::string opt_string(const json& o, const char* key, const Where& w) {
  const json* v = member(o, key);
  if (v == nullptr) return "";
  if (!v->is_string()) w.fail(key, "is not a string");
  return v->get<std::string>();
}

// Ids are numeric strings (§10); a relay may send them as numbers.
std::string opt_id(const json& o, const char* key, const Where& w) {
  const json* v = member(o, key);
  if (v == nullptr) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return v->dump();
  w.fail(key, "is not a string");
}

std::optional<int64_t> opt_int64(const json& o, const char* key, const Where& w) {
  const json* v = member(o, key);
  if (v == nullptr) return std::nullopt;
  auto n = as_int64(*v);
  if (!n) w.fail(key, "is not an integer");
  return n;
}

std::optional<int> opt_int(const json& o, const char* key, const Where& w) {
  auto n = opt_int64(o, key, w);
  if (!n) return std::nullopt;
  if (*n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max())
    w.fail(key, "is out of range");
  return static_cast<int>(*n);
}

std::optional<double> opt_number(const json& o, const char* key, const Where& w) {
  const json* v = member(o, key);
  if (v == nullptr) return std::nullopt;
  auto n = as_number(*v);
  if (!n) w.fail(key, "is not a number");
  return n;
}

const json* opt_array(const json& o, const char* key, const Where& w) {
  const json* v = member(o, key);
  if (v != nullptr && !v->is_array()) w.fail(key, "is not an array");
  return v;
}

// An error code as text: strings as they are, integers in decimal; 0 is
// Vtrix's "no error" (§16.4).
std::string code_text(const json* v) {
  if (v == nullptr) return "";
  if (v->is_string()) return clean_text(v->get_ref<const std::string&>(), 100);
  if (auto n = as_int64(*v); n && v->is_number()) return *n == 0 ? "" : std::to_string(*n);
  return "";
}

// ---- task answers ----------------------------------------------------------------

std::optional<TaskState> official_state(std::string_view s) {
  if (s == "created") return TaskState::created;
  if (s == "queueing") return TaskState::queueing;
  if (s == "processing") return TaskState::processing;
  if (s == "success") return TaskState::success;
  if (s == "failed") return TaskState::failed;
  return std::nullopt;
}

// The pages disagree on Vtrix's status names (Q20): read all of them, in any case.
std::optional<TaskState> vtrix_state(std::string_view s) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (l == "pending" || l == "queued") return TaskState::queueing;
  if (l == "in_progress" || l == "processing" || l == "running") return TaskState::processing;
  if (l == "completed" || l == "succeeded") return TaskState::success;
  if (l == "failed" || l == "cancelled" || l == "canceled") return TaskState::failed;
  return std::nullopt;
}

TaskState read_state(const json& o, const char* key, const Where& w, bool vtrix) {
  const json* v = member(o, key);
  if (v == nullptr) w.fail(key, "is missing");
  if (!v->is_string()) w.fail(key, "is not a string");
  const std::string& s = v->get_ref<const std::string&>();
  auto state = vtrix ? vtrix_state(s) : official_state(s);
  if (!state) w.fail(key, "has an unknown value \"" + clean_text(s, 60) + "\"");
  return *state;
}

// A success must say where the video is; anything else is not a usable answer.
void require_result(const RemoteTask& task, const Where& w, const char* field) {
  if (task.state != TaskState::success) return;
  for (const Creation& c : task.creations)
    if (!c.url.empty()) return;
  w.fail(field, "has no video URL although the task succeeded");
}

// §10 (create: task_id) and §11.2 (query: id); list rows are the same shape.
RemoteTask read_official(const json& o, const Where& w) {
  RemoteTask t;
  t.id = opt_id(o, "task_id", w);
  if (t.id.empty()) t.id = opt_id(o, "id", w);
  // Q17: callbacks are said to carry `status`; the query shape has `state`.
  t.state = read_state(
      o, member(o, "state") == nullptr && member(o, "status") != nullptr ? "status" : "state", w,
      false);
  const json* err = member(o, "err_code");
  if (err != nullptr && !err->is_string() && !err->is_number_integer())
    w.fail("err_code", "is not a string");
  t.err_code = code_text(err);
  t.credits = opt_int(o, "credits", w);
  t.payload = opt_string(o, "payload", w);
  if (const json* list = opt_array(o, "creations", w)) {
    for (size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      Where at{w.what, w.prefix + "creations[" + std::to_string(i) + "]."};
      if (!item.is_object()) w.fail("creations[" + std::to_string(i) + "]", "is not an object");
      Creation c;
      c.id = opt_id(item, "id", at);
      c.url = opt_string(item, "url", at);
      c.cover_url = opt_string(item, "cover_url", at);
      c.watermarked_url = opt_string(item, "watermarked_url", at);
      if (const json* video = member(item, "video")) {
        if (!video->is_object()) at.fail("video", "is not an object");
        c.duration =
            opt_number(*video, "duration", Where{w.what, at.prefix + "video."}).value_or(0);
      }
      t.creations.push_back(std::move(c));
    }
  }
  require_result(t, w, "creations");
  return t;
}

// §16.3: one envelope for create and poll.
RemoteTask read_vtrix(const json& o, const Where& w) {
  RemoteTask t;
  t.id = opt_id(o, "id", w);
  if (t.id.empty()) t.id = opt_id(o, "task_id", w);
  if (t.id.empty()) w.fail("id", "is missing");
  t.state = read_state(o, "status", w, true);
  if (const json* p = member(o, "progress")) {
    auto n = as_number(*p);
    if (!n) w.fail("progress", "is not a number");
    t.progress = std::clamp(*n, 0.0, 1.0);
  }
  if (const json* usage = member(o, "usage"); usage != nullptr && usage->is_object()) {
    t.credits = opt_int(*usage, "credits", Where{w.what, w.prefix + "usage."});
  }
  // Q20: {code, message} | {code: int, error_message} | a plain string.
  if (const json* e = member(o, "error")) {
    if (e->is_string()) {
      t.err_message = clean_text(e->get_ref<const std::string&>());
    } else if (e->is_object()) {
      t.err_code = code_text(member(*e, "code"));
      const json* m = member(*e, "message");
      if (m == nullptr || !m->is_string()) m = member(*e, "error_message");
      if (m != nullptr && m->is_string())
        t.err_message = clean_text(m->get_ref<const std::string&>());
    }
  }
  if (const json* outputs = opt_array(o, "output", w)) {
    for (size_t i = 0; i < outputs->size(); ++i) {
      const std::string at_out = "output[" + std::to_string(i) + "]";
      const json& out = (*outputs)[i];
      if (!out.is_object()) w.fail(at_out, "is not an object");
      Where wo{w.what, w.prefix + at_out + "."};
      const json* content = opt_array(out, "content", wo);
      if (content == nullptr) continue;
      for (size_t j = 0; j < content->size(); ++j) {
        const std::string at_c = "content[" + std::to_string(j) + "]";
        const json& item = (*content)[j];
        if (!item.is_object()) wo.fail(at_c, "is not an object");
        Where wc{w.what, wo.prefix + at_c + "."};
        const std::string type = opt_string(item, "type", wc);
        if (!type.empty() && type != "video" && type != "video_url") continue;  // e.g. "text"
        Creation c;
        c.url = opt_string(item, "url", wc);
        // "video_url" items may carry the URL under their type's name.
        if (const json* vu = member(item, "video_url"); c.url.empty() && vu != nullptr) {
          if (vu->is_string())
            c.url = vu->get<std::string>();
          else if (vu->is_object())
            c.url = opt_string(*vu, "url", Where{w.what, wc.prefix + "video_url."});
        }
        if (c.url.empty()) continue;
        c.cover_url = opt_string(item, "cover_url", wc);
        c.duration = opt_number(item, "duration", wc).value_or(0);
        t.creations.push_back(std::move(c));
      }
    }
  }
  require_result(t, w, "output");
  return t;
}

}  // namespace

// ---- states ----------------------------------------------------------------

const char* state_name(TaskState state) {
  switch (state) {
    case TaskState::submitting:
      return "submitting";
    case TaskState::created:
      return "created";
    case TaskState::queueing:
      return "queueing";
    case TaskState::processing:
      return "processing";
    case TaskState::success:
      return "success";
    case TaskState::failed:
      return "failed";
  }
  return "failed";
}

bool is_terminal(TaskState state) {
  return state == TaskState::success || state == TaskState::failed;
}

// ---- paths -----------------------------------------------------------------

std::string create_path(Dialect dialect, Endpoint endpoint) {
  if (dialect == Dialect::vtrix) return "/model/v1/generation";
  return std::string("/ent/v2/") + endpoint_path(endpoint);
}

std::string task_path(Dialect dialect, const std::string& id) {
  if (dialect == Dialect::vtrix) return "/model/v1/generation/task/" + percent_encode(id);
  return "/ent/v2/tasks/" + percent_encode(id) + "/creations";
}

std::optional<std::string> cancel_path(Dialect dialect, const std::string& id) {
  if (dialect == Dialect::vtrix) return std::nullopt;
  return "/ent/v2/tasks/" + percent_encode(id) + "/cancel";
}

std::string list_path(const std::vector<std::string>& ids) {
  // Without ids the call would list every recent task, not "these tasks".
  if (ids.empty() || ids.size() > 100)
    throw std::invalid_argument("list_path: 1-100 task ids, got " + std::to_string(ids.size()));
  std::string out = "/ent/v2/tasks?";
  for (const auto& id : ids) out += "task_ids=" + percent_encode(id) + "&";
  return out + "pager.pagesz=" + std::to_string(ids.size());
}

std::string recent_tasks_path(double from_unix, const std::string& page_token) {
  std::time_t t = 0;
  if (std::isfinite(from_unix) && from_unix > 0 && from_unix < 253402300800.0)  // < year 10000
    t = static_cast<std::time_t>(std::floor(from_unix));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string out = std::string("/ent/v2/tasks?created_at.from=") + when + "&pager.pagesz=100";
  if (!page_token.empty()) out += "&pager.page_token=" + percent_encode(page_token);
  return out;
}

std::optional<std::string> credits_path(Dialect dialect) {
  if (dialect == Dialect::vtrix) return std::nullopt;
  return "/ent/v2/credits";
}

std::string auth_header(Dialect dialect, const std::string& key) {
  return std::string("Authorization: ") + (dialect == Dialect::vtrix ? "Bearer " : "Token ") + key;
}

// ---- reading answers ---------------------------------------------------------

RemoteTask parse_task(Dialect dialect, std::string_view body) {
  constexpr const char* kWhat = "task answer";
  try {
    const json doc = parse_object(body, kWhat);
    return dialect == Dialect::vtrix ? read_vtrix(doc, Where{kWhat, ""})
                                     : read_official(doc, Where{kWhat, ""});
  } catch (const json::exception& e) {  // not expected: every access is checked first
    throw WireError(std::string(kWhat) + ": " + e.what());
  }
}

TaskPage parse_task_list(std::string_view body) {
  constexpr const char* kWhat = "task list";
  try {
    const json doc = parse_object(body, kWhat);
    const Where w{kWhat, ""};
    TaskPage page;
    // gRPC gateways leave out empty repeated fields and empty strings.
    if (const json* tasks = opt_array(doc, "tasks", w)) {
      for (size_t i = 0; i < tasks->size(); ++i) {
        const std::string at = "tasks[" + std::to_string(i) + "]";
        if (!(*tasks)[i].is_object()) w.fail(at, "is not an object");
        RemoteTask t = read_official((*tasks)[i], Where{kWhat, at + "."});
        if (t.id.empty()) w.fail(at + ".id", "is missing");
        page.tasks.push_back(std::move(t));
      }
    }
    page.next_page_token = opt_string(doc, "next_page_token", w);
    return page;
  } catch (const json::exception& e) {
    throw WireError(std::string(kWhat) + ": " + e.what());
  }
}

namespace {

std::string status_reason(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 429:
      return "TooManyRequests";
    default:
      return status >= 500 && status <= 599 ? "InternalServiceFailure"
                                            : "HTTP " + std::to_string(status);
  }
}

}  // namespace

ApiFailure parse_failure(Dialect dialect, int http_status, std::string_view body) {
  ApiFailure out;
  out.http_status = http_status;
  try {
    const json doc = json::parse(body.begin(), body.end(), nullptr, false);
    std::string code;
    std::string message;
    if (doc.is_object()) {
      auto text = [](const json* v) {
        return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
      };
      const json* error = member(doc, "error");
      std::string error_code;
      std::string error_message;
      if (error != nullptr && error->is_object()) {
        error_code = code_text(member(*error, "code"));
        if (error_code.empty()) error_code = text(member(*error, "reason"));
        error_message = text(member(*error, "message"));
        if (error_message.empty()) error_message = text(member(*error, "error_message"));
      } else if (error != nullptr && error->is_string()) {
        error_message = error->get<std::string>();
      }
      // Official (§13.1): `code` is the HTTP status again; `reason` names it.
      std::string reason = text(member(doc, "reason"));
      // A top-level code equal to the status says nothing more (§13.1 repeats it).
      std::string top_code = code_text(member(doc, "code"));
      if (top_code == std::to_string(http_status)) top_code.clear();
      std::string top_message = text(member(doc, "message"));
      if (top_message.empty()) top_message = text(member(doc, "error_message"));
      if (dialect == Dialect::vtrix) {
        code = !error_code.empty() ? error_code : !reason.empty() ? reason : top_code;
        message = !error_message.empty() ? error_message : top_message;
      } else {
        code = !reason.empty() ? reason : !top_code.empty() ? top_code : error_code;
        message = !top_message.empty() ? top_message : error_message;
      }
      if (const json* meta = member(doc, "metadata"); meta != nullptr && meta->is_object())
        out.trace_id = clean_text(text(member(*meta, "trace_id")), 100);
    } else if (doc.is_string()) {
      message = doc.get<std::string>();
    } else if (doc.is_discarded()) {
      message = std::string(body.substr(0, 4096));  // a proxy's text or HTML page
    }
    out.code = clean_text(code, 100);
    out.message = clean_text(message);
  } catch (...) {  // never throws: a failure report must not fail itself
  }
  // Vtrix repeats the status as its code (401, 429); an empty body says
  // nothing. Either way the official name for the status (§13.2) lets a
  // script test err.code the same way under both dialects.
  if (out.code.empty() || out.code == std::to_string(http_status))
    out.code = status_reason(http_status);
  return out;
}

Balance parse_balance(std::string_view body) {
  constexpr const char* kWhat = "credits answer";
  try {
    const json doc = parse_object(body, kWhat);
    const Where w{kWhat, ""};
    const char* key = member(doc, "remains") != nullptr ? "remains" : "remaining_credits";
    const json* list = opt_array(doc, key, w);
    if (list == nullptr) w.fail("remains", "is missing (nor is there `remaining_credits`)");
    Balance out;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
      const json& item = (*list)[i];
      if (!item.is_object()) w.fail(at, "is not an object");
      const Where wi{kWhat, at + "."};
      Balance::Entry e;
      e.type = opt_string(item, "type", wi);
      e.credit_remain = opt_int64(item, "credit_remain", wi).value_or(0);
      e.concurrency_limit = opt_int(item, "concurrency_limit", wi).value_or(0);
      e.current_concurrency = opt_int(item, "current_concurrency", wi).value_or(0);
      e.queue_count = opt_int(item, "queue_count", wi).value_or(0);
      // Saturating: hostile numbers must not overflow (undefined behaviour).
      int64_t sum = 0;
      if (__builtin_add_overflow(out.total, e.credit_remain, &sum))
        sum = e.credit_remain > 0 ? std::numeric_limits<int64_t>::max()
                                  : std::numeric_limits<int64_t>::min();
      out.total = sum;
      out.entries.push_back(std::move(e));
    }
    return out;
  } catch (const json::exception& e) {
    throw WireError(std::string(kWhat) + ": " + e.what());
  }
}

}  // namespace reel::vidu
