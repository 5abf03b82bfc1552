// The create request's body (wire.hpp create_body): the official body or
// Vtrix's envelope, with each inline file's Base64 streamed straight into the
// one output string.
#include "host/vidu/wire.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "host/vidu/request.hpp"

namespace reel::vidu {

namespace {

using nlohmann::json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Appends the Base64 of n bytes; padding only when `last`. Writes into the
// capacity create_body reserved, so no reallocation happens.
void append_base64(std::string& out, const unsigned char* in, size_t n, bool last) {
  const size_t full = n / 3 * 3;
  size_t pos = out.size();
  out.resize(pos + full / 3 * 4 + (last && n > full ? 4 : 0));
  char* d = out.data() + pos;
  size_t i = 0;
  for (; i < full; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *d++ = kAlphabet[(v >> 18) & 63];
    *d++ = kAlphabet[(v >> 12) & 63];
    *d++ = kAlphabet[(v >> 6) & 63];
    *d++ = kAlphabet[v & 63];
  }
  if (last && n > full) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (n - full == 2) v |= uint32_t{in[i + 1]} << 8;
    *d++ = kAlphabet[(v >> 18) & 63];
    *d++ = kAlphabet[(v >> 12) & 63];
    *d++ = n - full == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *d++ = '=';
  }
}

// Reads exactly `size` bytes of the file in chunks and appends their Base64.
// The size was taken before the text was reserved; a file that changes in
// between is refused rather than sent cut or with bytes past the reservation.
void append_file_base64(std::string& out, const std::string& path, uint64_t size) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(path + ": cannot be opened for reading");
  constexpr size_t kChunk = size_t{3} * 16 * 1024;  // a multiple of 3: no carry between chunks
  std::vector<unsigned char> buffer(static_cast<size_t>(std::min<uint64_t>(kChunk, size)));
  uint64_t left = size;
  while (left > 0) {
    const auto want = static_cast<size_t>(std::min<uint64_t>(kChunk, left));
    file.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(want));
    if (static_cast<size_t>(file.gcount()) != want)
      throw std::runtime_error(path + ": read failed (the file shrank or could not be read)");
    left -= want;
    append_base64(out, buffer.data(), want, left == 0);
  }
  if (file.peek() != std::ifstream::traits_type::eof())
    throw std::runtime_error(path + ": the file grew while it was being read");
}

std::string random_nonce() {
  // Seeded once per thread: opening the entropy device per body costs more
  // than the rest of a small create.
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    return std::mt19937_64((uint64_t{rd()} << 32) ^ rd());
  }();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(gen()));
  return text;
}

struct Slot {
  const InlineFile* file;
  std::string needle;  // the marker as it appears in the dumped text, quotes included
  std::string head;    // "\"data:<mime>;base64," as JSON text
  uint64_t size = 0;   // file bytes
  size_t at = 0;       // where the needle is in the dumped text
};

}  // namespace

// ---- the create body ---------------------------------------------------------

std::string create_body(Dialect dialect, Endpoint endpoint, nlohmann::json body,
                        const std::vector<InlineFile>& files) {
  if (!body.is_object()) throw std::invalid_argument("create_body: the body is not a JSON object");
  const json* m = body.is_object() && body.contains("model") && !body["model"].is_null()
                      ? &body["model"]
                      : nullptr;
  const std::string model = m != nullptr && m->is_string() ? m->get<std::string>() : "";
  json doc;
  std::string base;  // where the official body sits in `doc`
  if (dialect == Dialect::vtrix) {
    auto id = vtrix_model(endpoint, model);
    if (!id)
      throw std::invalid_argument("create_body: Vtrix does not sell model \"" + model + "\" for " +
                                  endpoint_path(endpoint));
    // Domestic routes (vidu-cn-*) need the upstream model name inside params (§16.2).
    if (id->rfind("vidu-cn-", 0) != 0) body.erase("model");
    json item = json::object();
    item["params"] = std::move(body);
    doc = json::object();
    doc["model"] = *id;
    doc["input"] = json::array();
    doc["input"].push_back(std::move(item));
    base = "/input/0/params";
  } else {
    if (!model_caps(endpoint, model, Dialect::vidu))
      throw std::invalid_argument("create_body: the official API does not offer model \"" + model +
                                  "\" for " + endpoint_path(endpoint));
    doc = std::move(body);
  }

  // Each file's place gets a marker string; the text is dumped once and the
  // markers are then replaced by the data URLs, written straight from the files.
  std::vector<Slot> slots;
  slots.reserve(files.size());
  const std::string nonce = random_nonce();
  for (size_t i = 0; i < files.size(); ++i) {
    const InlineFile& f = files[i];
    if (f.pointer.empty() || f.pointer[0] != '/')
      throw std::invalid_argument("create_body: \"" + f.pointer + "\" is not a JSON pointer");
    for (size_t k = 0; k < i; ++k)
      if (files[k].pointer == f.pointer)
        throw std::invalid_argument("create_body: two files for " + f.pointer);
    const std::string marker = "reel-inline-" + nonce + "-" + std::to_string(i);
    try {
      const json::json_pointer ptr(base + f.pointer);
      if (!doc.contains(ptr))
        throw std::invalid_argument("create_body: the body has no value at " + f.pointer);
      doc[ptr] = marker;
    } catch (const json::exception& e) {
      throw std::invalid_argument("create_body: bad JSON pointer " + f.pointer + ": " + e.what());
    }
    std::error_code ec;
    const std::filesystem::path path(f.path);
    const bool regular = std::filesystem::is_regular_file(path, ec);
    const uintmax_t size = regular ? std::filesystem::file_size(path, ec) : 0;
    if (ec || !regular)
      throw std::runtime_error(f.path + ": cannot be read (" +
                               (ec ? ec.message() : std::string("not a regular file")) + ")");
    std::string head = json("data:" + f.mime + ";base64,").dump();
    head.pop_back();  // the closing quote comes after the Base64
    slots.push_back({&f, json(marker).dump(), std::move(head), size, 0});
  }

  std::string text;
  try {
    text = doc.dump();
  } catch (const json::exception&) {
    throw std::invalid_argument("create_body: the body holds text that is not valid UTF-8");
  }
  uint64_t total = text.size();
  for (Slot& s : slots) {
    s.at = text.find(s.needle);
    if (s.at == std::string::npos || text.find(s.needle, s.at + 1) != std::string::npos)
      throw std::logic_error("create_body: inline marker not unique");  // a 64-bit nonce collision
    total += s.head.size() + base64_size(s.size) + 1 - s.needle.size();
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.at < b.at; });

  std::string out;
  out.reserve(static_cast<size_t>(total));
  size_t from = 0;
  for (const Slot& s : slots) {
    out.append(text, from, s.at - from);
    out += s.head;
    append_file_base64(out, s.file->path, s.size);
    out += '"';
    from = s.at + s.needle.size();
  }
  out.append(text, from, std::string::npos);
  if (out.size() != total) throw std::logic_error("create_body: size estimate was wrong");
  return out;
}

}  // namespace reel::vidu
