// Shared helpers for the simulator tests (sim_api_test.cpp,
// sim_engine_test.cpp): a libcurl client for the in-process simulator and
// small waits on its tasks.
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <thread>

#include "host/sim/signature.hpp"
#include "host/sim/simulator.hpp"

namespace reel::sim::test_support {

using nlohmann::json;
using reel::sim::Options;
using reel::sim::Simulator;

struct Reply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  CURLcode result = CURLE_OK;
};

inline size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

inline size_t collect_header(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * count;
}

inline Reply http(const std::string& method, const std::string& url, const std::string& auth = "",
                  const std::string& body = "") {
  Reply reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!auth.empty()) headers = curl_slist_append(headers, ("Authorization: " + auth).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  reply.result = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

inline json parse(const Reply& reply) {
  return json::parse(reply.body, nullptr, false);
}

inline const std::string kKey = "test-key-123";
inline const std::string kAuth = "Token " + kKey;

inline Options fast_options() {
  Options options;
  options.key = kKey;
  options.speed = 50;
  options.quiet = true;
  return options;
}

inline json text_request(int duration = 1) {
  return {{"model", "viduq2"},
          {"prompt", "a red kite over the sea"},
          {"duration", duration},
          {"resolution", "540p"},
          {"aspect_ratio", "16:9"}};
}

inline json create(Simulator& sim, const json& body, const std::string& endpoint = "text2video") {
  Reply reply = http("POST", sim.base_url() + "/ent/v2/" + endpoint, kAuth, body.dump());
  EXPECT_EQ(reply.status, 200) << reply.body;
  return parse(reply);
}

inline json query(Simulator& sim, const std::string& id) {
  return parse(http("GET", sim.base_url() + "/ent/v2/tasks/" + id + "/creations", kAuth));
}

inline json wait_for(Simulator& sim, const std::string& id,
                     std::initializer_list<const char*> states, double timeout_s = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  json task;
  while (std::chrono::steady_clock::now() < deadline) {
    task = query(sim, id);
    for (const char* state : states)
      if (task.value("state", "") == state) return task;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "task " << id << " never reached the state; last: " << task.dump();
  return task;
}

inline std::string download(const std::string& url, long* status) {
  Reply reply = http("GET", url);
  *status = reply.status;
  auto path = std::filesystem::temp_directory_path() /
              ("sim-test-" + reel::sim::random_hex(6) +
               (url.find(".jpg") != std::string::npos ? ".jpg" : ".mp4"));
  std::ofstream(path, std::ios::binary) << reply.body;
  return path.string();
}

}  // namespace reel::sim::test_support
