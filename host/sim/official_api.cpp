// Handlers of the official dialect. Each one checks, asks the engine, and
// writes the documented JSON; nothing here blocks.
#include "host/sim/official_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <set>
#include <sstream>

#include "host/sim/creation.hpp"
#include "host/sim/signature.hpp"

namespace reel::sim {

namespace {

using nlohmann::json;

constexpr const char* kPrefix = "/ent/v2/";

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string token_from(const HttpRequest& request) {
  std::string header = request.header("authorization");
  const std::string scheme = "Token ";
  return starts_with(header, scheme) ? header.substr(scheme.size()) : std::string();
}

bool has_urls(const Task& task) {
  return task.state == State::success && task.creation;
}

// `expired`: the URLs have already expired (the expire fault).
json creation_json(const Task& task, const Service& service, bool expired) {
  json creations = json::array();
  if (!has_urls(task)) return creations;
  const Creation& c = *task.creation;
  json item = {{"id", c.id},
               {"url", service.file_url(c.id + ".mp4", expired)},
               {"cover_url", service.file_url(c.id + ".jpg", expired)},
               {"video",
                {{"duration", c.duration},
                 {"fps", c.fps},
                 {"resolution", {{"width", c.width}, {"height", c.height}}}}}};
  if (task.echo && task.echo->value("watermark", false)) item["watermarked_url"] = item["url"];
  creations.push_back(item);
  return creations;
}

json task_json(const Task& task, const Service& service, bool expired = false) {
  const json& echo = task.echo ? *task.echo : json::object();
  return {{"id", task.id},
          {"state", state_name(task.state)},
          {"err_code", task.err_code},
          {"credits", task.credits},
          {"payload", task.payload},
          {"bgm", echo.value("bgm", false)},
          {"off_peak", echo.value("off_peak", false)},
          {"creations", creation_json(task, service, expired)}};
}

// The list endpoint's richer rows (§11.3). key_id is a digest, never the key.
json list_row(const Task& task, const Service& service, bool expired) {
  json row = task_json(task, service, expired);
  const json& echo = task.echo ? *task.echo : json::object();
  row["key_id"] = hex(hmac_sha256("key-id", task.key)).substr(0, 16);
  row["template"] = "";
  row["type"] = vidu::endpoint_path(task.endpoint);
  row["model"] = task.model;
  row["prompt"] = echo.value("prompt", "");
  row["images"] = echo.value("images", json::array());
  row["duration"] = echo.value("duration", 0);
  row["resolution"] = task.resolution;
  row["aspect_ratio"] = task.aspect_ratio;
  row["created_at"] = iso8601(task.created_at);
  return row;
}

HttpResponse create(const HttpRequest& request, vidu::Endpoint endpoint, Service& service) {
  if (request.body_too_large)
    return official_error({413, "BadRequest",
                           "the request body exceeds 20 MB (§1.2); send URLs or smaller images", "",
                           0});
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded())
    return official_error({400, "BadRequest", "the request body is not valid JSON", "", 0});
  if (!body.is_object())
    return official_error({400, "BadRequest", "the request body must be a JSON object", "", 0});
  CreateContext context{*service.engine, *service.inputs, *service.faults};
  auto created = create_task({endpoint, "official", "", token_from(request)}, body, context);
  if (auto* error = std::get_if<ApiError>(&created)) return official_error(*error);
  const Task& task = std::get<Task>(created);
  json out = *task.echo;
  out["task_id"] = task.id;
  out["state"] = state_name(State::created);
  out["model"] = task.model;
  out["credits"] = task.credits;
  out["created_at"] = iso8601(task.created_at);
  if (!out.contains("payload")) out["payload"] = "";
  if (!task.aspect_ratio.empty() || !out.contains("aspect_ratio"))
    out["aspect_ratio"] = task.aspect_ratio;
  out["resolution"] = task.resolution;
  return json_response(200, out);
}

HttpResponse query(const std::string& id, Service& service) {
  auto task = service.engine->get(id);
  if (!task) return official_error({404, "TaskNotFound", "no task " + id, "id", 0});
  const bool expired = has_urls(*task) && service.faults->expire_urls();
  return json_response(200, task_json(*task, service, expired));
}

HttpResponse cancel(const std::string& id, Service& service) {
  State seen = State::created;
  switch (service.engine->cancel(id, &seen)) {
    case Engine::CancelResult::cancelled:
      return json_response(200, json::object());
    case Engine::CancelResult::not_found:
      return official_error({404, "TaskNotFound", "no task " + id, "id", 0});
    case Engine::CancelResult::not_cancellable:
      break;
  }
  return official_error({400, "BadRequest",
                         std::string("task state is ") + state_name(seen) + ", can not cancel", "",
                         0});
}

HttpResponse credits(const HttpRequest& request, Service& service) {
  Balance balance = service.engine->balance();
  json remains = json::array({{{"type", "metered"},
                               {"credit_remain", balance.remain},
                               {"concurrency_limit", balance.concurrency_limit},
                               {"current_concurrency", balance.current_concurrency},
                               {"queue_count", balance.queue_count}}});
  json out = {{"remains", remains}};
  auto detail = request.query.find("show_detail");
  if (detail != request.query.end() && (detail->second == "true" || detail->second == "1")) {
    out["packages"] = json::array({{{"id", "1"},
                                    {"name", "simulator"},
                                    {"type", "metered"},
                                    {"concurrency", balance.concurrency_limit},
                                    {"credit_amount", service.options.credits},
                                    {"credit_remain", balance.remain},
                                    {"created_at", iso8601(0)},
                                    {"purchase_at", iso8601(0)},
                                    {"valid_from", iso8601(0)},
                                    {"valid_to", "2099-12-31T00:00:00Z"}}});
  }
  return json_response(200, out);
}

// ---- list (§11.3) ----

// All values of a filter, whether sent as k=a&k=b, k[]=a or k=a,b.
std::set<std::string> values_of(const HttpRequest& request, const std::string& key) {
  std::set<std::string> out;
  for (const std::string& name : {key, key + "[]"}) {
    auto [begin, end] = request.query.equal_range(name);
    for (auto it = begin; it != end; ++it) {
      std::stringstream parts(it->second);
      std::string part;
      while (std::getline(parts, part, ','))
        if (!part.empty()) out.insert(part);
    }
  }
  return out;
}

std::string first_of(const HttpRequest& request, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = request.query.find(key);
    if (it != request.query.end()) return it->second;
  }
  return "";
}

// ISO-8601 UTC ("2025-01-01T15:41:31Z", fraction optional) or Unix seconds.
std::optional<double> parse_time(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    try {
      return std::stod(text);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  return static_cast<double>(timegm(&tm));
}

// "viduq2-pro" -> "q2-pro", "vidu2.0" -> "2.0".
std::string model_version(const std::string& model) {
  return starts_with(model, "vidu") ? model.substr(4) : model;
}

HttpResponse list(const HttpRequest& request, Service& service) {
  double now = unix_now();
  auto from = parse_time(first_of(request, {"created_at.from"}));
  auto to = parse_time(first_of(request, {"created_at.to"}));
  if (!from) from = (to ? *to : now) - 7 * 86400.0;
  auto ids = values_of(request, "task_ids");
  auto states = values_of(request, "states");
  auto versions = values_of(request, "model_versions");
  auto resolutions = values_of(request, "resolutions");

  int page_size = 10;
  std::string size_text = first_of(request, {"pager.pagesz", "paper.pagesz", "pagesz"});
  if (!size_text.empty()) {
    page_size = std::atoi(size_text.c_str());
    if (page_size < 1 || page_size > 100)
      return official_error({400, "FieldInvalid", "pager.pagesz: must be 1-100, got " + size_text,
                             "pager.pagesz", 0});
  }
  size_t offset = 0;
  std::string token = first_of(request, {"pager.page_token", "paper.page_token", "page_token"});
  std::string page = first_of(request, {"pager.page", "paper.page"});
  if (!token.empty()) {
    if (!starts_with(token, "o") || token.find_first_not_of("0123456789", 1) != std::string::npos ||
        token.size() < 2 || token.size() > 12)
      return official_error({400, "FieldInvalid", "pager.page_token: not a token this server gave",
                             "pager.page_token", 0});
    offset = std::stoul(token.substr(1));
  } else if (!page.empty()) {
    offset = static_cast<size_t>(std::max(0, std::atoi(page.c_str()))) * page_size;
  }

  std::vector<Task> matching;
  for (Task& task : service.engine->list()) {
    if (task.created_at < *from || (to && task.created_at > *to)) continue;
    if (!ids.empty() && !ids.count(task.id)) continue;
    if (!states.empty() && !states.count(state_name(task.state))) continue;
    if (!versions.empty() && !versions.count(model_version(task.model))) continue;
    if (!resolutions.empty() && !resolutions.count(task.resolution)) continue;
    matching.push_back(std::move(task));
  }
  const size_t end = std::min(matching.size(), offset + page_size);
  bool urls = false;
  for (size_t i = offset; i < end; ++i) urls = urls || has_urls(matching[i]);
  const bool expired = urls && service.faults->expire_urls();  // one roll per answer
  json tasks = json::array();
  for (size_t i = offset; i < end; ++i) tasks.push_back(list_row(matching[i], service, expired));
  std::string next =
      offset + page_size < matching.size() ? "o" + std::to_string(offset + page_size) : "";
  return json_response(200,
                       {{"tasks", tasks}, {"next_page_token", next}, {"total", matching.size()}});
}

}  // namespace

HttpResponse official_error(const ApiError& error) {
  json body = {{"code", error.status},
               {"reason", error.reason},
               {"message", error.message},
               {"metadata", {{"trace_id", random_hex(16)}}}};
  HttpResponse response = json_response(error.status, body);
  if (error.retry_after > 0)
    response.headers.emplace_back("Retry-After", std::to_string(error.retry_after));
  return response;
}

std::string official_task_body(const Task& task, const Service& service) {
  return task_json(task, service).dump();
}

HttpResponse handle_official(const HttpRequest& request, Service& service) {
  if (!service.key_ok(token_from(request)))
    return official_error({401, "Unauthorized",
                           "missing or invalid API key; send 'Authorization: Token <key>'", "", 0});
  std::string rest = request.path.substr(std::string(kPrefix).size());
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (post) {
    if (auto endpoint = vidu::endpoint_from_path(rest)) return create(request, *endpoint, service);
  }
  if (starts_with(rest, "tasks/")) {
    std::string tail = rest.substr(6);
    size_t slash = tail.find('/');
    std::string id = tail.substr(0, slash);
    std::string action = slash == std::string::npos ? "" : tail.substr(slash + 1);
    if (get && action == "creations") return query(id, service);
    if (post && action == "cancel") return cancel(id, service);
  }
  if (get && (rest == "tasks" || rest == "tasks/")) return list(request, service);
  if (get && rest == "credits") return credits(request, service);
  return official_error({404, "NotFound",
                         request.method + " " + request.path + " is not an endpoint of this API",
                         "", 0});
}

}  // namespace reel::sim
