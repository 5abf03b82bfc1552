// The Vtrix dialect (vidu-api.md §16): POST /model/v1/generation with
// {model, input:[{params}]} and Bearer auth, GET /model/v1/generation/task/{id},
// the status/output/usage/error envelope and numeric error codes. Same engine.
#pragma once

#include "host/sim/api_error.hpp"
#include "host/sim/http_server.hpp"
#include "host/sim/service.hpp"

namespace reel::sim {

HttpResponse handle_vtrix(const HttpRequest& request, Service& service);
HttpResponse vtrix_error(const ApiError& error);

// §16.4's numeric code for an official error (8012005 for a bad duration, ...).
int vtrix_code(const ApiError& error);

}  // namespace reel::sim
