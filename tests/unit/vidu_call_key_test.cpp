// host/vidu/call_key: the identity of a call across runs, on real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/vidu/call_key.hpp"

namespace reel::vidu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CallKey : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("reel-call-key-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

TEST_F(CallKey, HashesFilesAndTextsAsSha256Does) {
  // The SHA-256 test vector of "abc" (FIPS 180-2).
  EXPECT_EQ(text_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(file_sha256(write("abc.bin", "abc")), text_sha256("abc"));
  const std::string big(200 * 1024 + 7, 'x');  // more than one read chunk
  EXPECT_EQ(file_sha256(write("big.bin", big)), text_sha256(big));
  EXPECT_THROW(file_sha256((dir_ / "missing").string()), std::runtime_error);
}

TEST_F(CallKey, InputsCountByContentNotByPath) {
  const json body = {{"model", "viduq2-pro"}, {"images", {""}}, {"prompt", "p"}};
  const std::string a = write("a.png", "same bytes");
  const std::string b = write("b.png", "same bytes");  // another name, the same bytes
  const std::string c = write("c.png", "other bytes");
  const auto key = [&](const std::string& path) {
    return canonical_request(Endpoint::img2video, body, {{"/images/0", path, "image/png", ""}});
  };
  EXPECT_EQ(key(a), key(b));
  EXPECT_NE(key(a), key(c));
  EXPECT_NE(key(a).find("sha256:" + text_sha256("same bytes")), std::string::npos) << key(a);
  EXPECT_EQ(key(a).rfind("img2video {", 0), 0u) << key(a);
}

TEST_F(CallKey, ThePayloadTagAndKeyOrderDoNotMatterTheRequestDoes) {
  const json one = json::parse(R"({"model":"viduq2","prompt":"x","payload":"reel:1"})");
  const json two = json::parse(R"({"payload":"reel:2","prompt":"x","model":"viduq2"})");
  const json three = json::parse(R"({"model":"viduq2","prompt":"y"})");
  EXPECT_EQ(canonical_request(Endpoint::text2video, one, {}),
            canonical_request(Endpoint::text2video, two, {}));
  EXPECT_NE(canonical_request(Endpoint::text2video, one, {}),
            canonical_request(Endpoint::text2video, three, {}));
  EXPECT_NE(canonical_request(Endpoint::text2video, one, {}),
            canonical_request(Endpoint::img2video, one, {}));
}

TEST_F(CallKey, TheScriptAndTheOccurrenceAreEachPartOfTheKey) {
  const std::string req = "text2video {\"model\":\"viduq2\"}";
  const std::string k = call_key("/boards/a.lua", req, 1);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, call_key("/boards/a.lua", req, 1));
  EXPECT_NE(k, call_key("/boards/a.lua", req, 2));
  EXPECT_NE(k, call_key("/boards/b.lua", req, 1));
  // Where one part ends and the next begins is part of the key too.
  EXPECT_NE(call_key("ab", "c", 1), call_key("a", "bc", 1));
}

}  // namespace
}  // namespace reel::vidu
