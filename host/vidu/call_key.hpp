// What identifies one vidu.* call across runs of a script (issue 6, the
// journal): the script, the request as the API would receive it with every
// inline file replaced by the SHA-256 of its bytes (so a file moved or
// renamed is the same input, a file edited is not), and the occurrence of
// that same request in the run (the second identical call is a new variant).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "host/vidu/capabilities.hpp"
#include "host/vidu/wire.hpp"

namespace reel::vidu {

// Initialises OpenSSL on the calling thread. Call it on the main thread
// before hashing on the thread pool: OpenSSL sets itself up on first use,
// and state it makes on a pool thread is never freed (LeakSanitizer says so).
void prepare_hashing();

// Lower-case hex SHA-256 of a file's bytes, read in chunks. Throws
// std::runtime_error naming the file when it cannot be read.
std::string file_sha256(const std::string& path);

// Lower-case hex SHA-256 of a text.
std::string text_sha256(const std::string& text);

// The request in canonical form: `body` (official dialect, keys sorted by
// nlohmann's ordered map) with each InlineFile's place holding
// "sha256:<hex>" instead of the file, and the endpoint in front:
// "text2video {...}". `payload` is left out: reel puts a fresh tag there.
std::string canonical_request(Endpoint endpoint, const nlohmann::json& body,
                              const std::vector<InlineFile>& files);

// The journal key: SHA-256 of script identity, canonical request and
// occurrence (1 for the first such call in a run).
std::string call_key(const std::string& script, const std::string& canonical, int occurrence);

}  // namespace reel::vidu
