// The official dialect, /ent/v2 (vidu-api.md §3-§13): Token auth, the six
// create endpoints, task query, list, cancel and credits.
#pragma once

#include <string>

#include "host/sim/api_error.hpp"
#include "host/sim/engine.hpp"
#include "host/sim/http_server.hpp"
#include "host/sim/service.hpp"

namespace reel::sim {

HttpResponse handle_official(const HttpRequest& request, Service& service);

// §13.1 error body with a fresh trace id.
HttpResponse official_error(const ApiError& error);

// The §11.2 query body of a task (also the callback body, §12.1).
std::string official_task_body(const Task& task, const Service& service);

}  // namespace reel::sim
