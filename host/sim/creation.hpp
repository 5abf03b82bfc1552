// Turning a create request into a charged task, shared by both dialects:
// field validation (reel::vidu::validate), media checks (Inputs), the seed,
// the output size, the price, the fault plan, then Engine::submit.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <variant>

#include "host/sim/api_error.hpp"
#include "host/sim/engine.hpp"
#include "host/sim/faults.hpp"
#include "host/sim/inputs.hpp"

namespace reel::sim {

struct CreateContext {
  Engine& engine;
  const Inputs& inputs;
  Faults& faults;
};

struct CreateRequest {
  vidu::Endpoint endpoint = vidu::Endpoint::text2video;
  std::string dialect = "official";
  std::string vtrix_model;
  std::string key;
};

// `body` is completed with defaults and the seed. Errors name the first
// problem; the message lists the others when there are several.
std::variant<Task, ApiError> create_task(const CreateRequest& request, nlohmann::json& body,
                                         CreateContext& context);

// `value` with every long data: URI cut to its head and its length, as the
// task's echo keeps it (creation answers and list rows show that form).
nlohmann::json elide_data_uris(const nlohmann::json& value);

// A seed for a request that left it to the server: stable for the same body.
uint32_t seed_for(const std::string& canonical_body);

}  // namespace reel::sim
