#include "host/vidu/call_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace reel::vidu {

namespace {

class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 is not available");
  }
  void add(const void* data, size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
  std::string hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &n);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < n; ++i) {
      text += kDigits[out[i] >> 4];
      text += kDigits[out[i] & 15];
    }
    return text;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

void prepare_hashing() {
  // A digest does every lazy step a pool thread's first digest would (the
  // configuration, the provider, the fetch of SHA-256).
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  text_sha256("");
}

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be opened for reading");
  Digest d;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    d.add(buffer, static_cast<size_t>(in.gcount()));
  if (in.bad()) throw std::runtime_error(path + ": read failed");
  return d.hex();
}

std::string text_sha256(const std::string& text) {
  Digest d;
  d.add(text.data(), text.size());
  return d.hex();
}

std::string canonical_request(Endpoint endpoint, const nlohmann::json& body,
                              const std::vector<InlineFile>& files) {
  nlohmann::json copy = body;
  for (const InlineFile& f : files)
    copy[nlohmann::json::json_pointer(f.pointer)] =
        "sha256:" + (f.sha256.empty() ? file_sha256(f.path) : f.sha256);
  copy.erase("payload");
  return std::string(endpoint_path(endpoint)) + " " + copy.dump();
}

std::string call_key(const std::string& script, const std::string& canonical, int occurrence) {
  // Lengths keep "a" + "bc" apart from "ab" + "c".
  return text_sha256(std::to_string(script.size()) + ":" + script + "|" +
                     std::to_string(canonical.size()) + ":" + canonical + "|" +
                     std::to_string(occurrence));
}

}  // namespace reel::vidu
