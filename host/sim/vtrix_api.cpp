// Vtrix envelope over the shared engine. Status mapping (the pages disagree,
// Q20): created/queueing -> "pending", processing -> "in_progress",
// success -> "completed", failed -> "failed". Error codes are §16.4's, sent
// as JSON integers (leading zeros dropped: 008012005 -> 8012005).
#include "host/sim/vtrix_api.hpp"

#include <nlohmann/json.hpp>

#include "host/sim/creation.hpp"

namespace reel::sim {

namespace {

using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

std::string bearer(const HttpRequest& request) {
  std::string header = request.header("authorization");
  const std::string scheme = "Bearer ";
  return header.compare(0, scheme.size(), scheme) == 0 ? header.substr(scheme.size()) : "";
}

const char* vtrix_status(State state) {
  switch (state) {
    case State::created:
    case State::queueing:
      return "pending";
    case State::processing:
      return "in_progress";
    case State::success:
      return "completed";
    case State::failed:
      return "failed";
  }
  return "failed";
}

// The Vtrix id of a task, also for tasks created through the official dialect.
std::string vtrix_id(const Task& task) {
  if (!task.vtrix_model.empty()) return task.vtrix_model;
  return vidu::vtrix_model(task.endpoint, task.model).value_or(task.model);
}

// `expired`: the result URLs have already expired (the expire fault).
json envelope(const Task& task, const Service& service, bool expired = false) {
  json out = {{"id", task.id},
              {"task_id", task.id},
              {"status", vtrix_status(task.state)},
              {"model", vtrix_id(task)},
              {"created_at", static_cast<int64_t>(task.created_at)},
              {"progress", task.state == State::success      ? 1.0
                           : task.state == State::processing ? 0.5
                                                             : 0.0},
              {"metadata", {{"in_queue_at", static_cast<int64_t>(task.created_at)}}}};
  if (task.state == State::success && task.creation) {
    const Creation& c = *task.creation;
    out["output"] = json::array(
        {{{"content", json::array({{{"type", "video"},
                                    {"url", service.file_url(c.id + ".mp4", expired)},
                                    {"cover_url", service.file_url(c.id + ".jpg", expired)},
                                    {"jobId", task.id},
                                    {"duration", c.duration}}})}}});
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.3f", task.credits * 0.005);  // 1 credit ~ $0.005 (§14)
    out["usage"] = {{"cost", cost},
                    {"discount", 0},
                    {"credits", task.credits},
                    {"model", vtrix_id(task)},
                    {"duration", c.duration},
                    {"resolution", task.resolution}};
  }
  if (task.state == State::failed) {
    std::string message = "task failed: " + task.err_code;
    out["error"] = {{"code", 8012098},  // "generation failed" (§16.4)
                    {"message", message},
                    {"error_message", message},
                    {"reason", task.err_code}};
  }
  return out;
}

HttpResponse create(const HttpRequest& request, Service& service) {
  if (request.body_too_large)
    return vtrix_error({413, "BadRequest", "the request body exceeds 20 MB", "", 0});
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return vtrix_error({400, "BadRequest", "the request body is not a JSON object", "", 0});
  std::string model =
      body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
  auto official = vidu::official_from_vtrix(model);
  if (!official)
    return vtrix_error(
        {400, "FieldInvalid", "model: unknown Vtrix model id '" + model + "'", "model", 0});
  const json input = body.contains("input") ? body["input"] : json::array();
  if (!input.is_array() || input.empty() || !input[0].is_object() || !input[0].contains("params") ||
      !input[0]["params"].is_object())
    return vtrix_error({400, "FieldLacking", "input[0].params: required object", "input", 0});
  json params = input[0]["params"];
  params["model"] = official->model;
  CreateContext context{*service.engine, *service.inputs, *service.faults};
  auto created =
      create_task({official->endpoint, "vtrix", model, bearer(request)}, params, context);
  if (auto* error = std::get_if<ApiError>(&created)) {
    if (error->reason == "CreditInsufficient") error->status = 403;  // §16.3
    return vtrix_error(*error);
  }
  return json_response(200, envelope(std::get<Task>(created), service));
}

}  // namespace

int vtrix_code(const ApiError& error) {
  const std::string& f = error.field;
  const std::string& r = error.reason;
  if (r == "CreationNotFound") return 8012003;
  if (f == "video_url" || f == "video_creation_id") return r == "FieldLacking" ? 8012001 : 8012002;
  if (f == "prompt") return 8012004;
  if (f == "duration") return 8012005;
  if (f == "resolution") return 8012006;
  if (r == "FieldItemCountOutOfRange") return 8012007;
  if (r == "ImageFormatInvalid") return 8012008;
  if (r == "PageSizeOutOfRange") return 8012009;
  if (f == "payload") return 8012010;
  if (f == "callback_url") return 8012011;
  if (error.status >= 500) return 8012099;
  if (error.status == 401 || error.status == 403 || error.status == 429 || error.status == 404)
    return error.status;
  return 8020099;  // task-creation error
}

HttpResponse vtrix_error(const ApiError& error) {
  json body = {{"status", "failed"},
               {"error",
                {{"code", vtrix_code(error)},
                 {"message", error.message},
                 {"error_message", error.message},
                 {"reason", error.reason}}}};
  HttpResponse response = json_response(error.status, body);
  if (error.retry_after > 0)
    response.headers.emplace_back("Retry-After", std::to_string(error.retry_after));
  return response;
}

HttpResponse handle_vtrix(const HttpRequest& request, Service& service) {
  if (!service.key_ok(bearer(request)))
    return vtrix_error({401, "Unauthorized",
                        "missing or invalid API key; send 'Authorization: Bearer <key>'", "", 0});
  const std::string create_path = "/model/v1/generation";
  const std::string task_prefix = "/model/v1/generation/task/";
  if (request.method == "POST" &&
      (request.path == create_path || request.path == create_path + "/"))
    return create(request, service);
  if (request.method == "GET" && request.path.compare(0, task_prefix.size(), task_prefix) == 0) {
    std::string id = request.path.substr(task_prefix.size());
    auto task = service.engine->get(id);
    if (!task) return vtrix_error({404, "TaskNotFound", "no task " + id, "", 0});
    const bool expired =
        task->state == State::success && task->creation && service.faults->expire_urls();
    return json_response(200, envelope(*task, service, expired));
  }
  return vtrix_error(
      {404, "NotFound", request.method + " " + request.path + " is not an endpoint", "", 0});
}

}  // namespace reel::sim
