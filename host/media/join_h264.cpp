#include "host/media/join_h264.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

namespace reel::media::join::h264 {

namespace {

using Nal = std::string_view;

Nal as_nal(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

size_t find_start_code(const uint8_t* p, size_t n, size_t from) {
  for (size_t i = from; i + 3 <= n; ++i) {
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) return i;
  }
  return n;
}

// NAL units between "00 00 01" start codes. Zero bytes before a start code
// belong to it (a 4-byte start code, or trailing_zero_8bits); a NAL unit
// never ends in a zero byte, so they can be stripped.
std::vector<Nal> split_annexb(const uint8_t* p, size_t n) {
  std::vector<Nal> nals;
  size_t start = find_start_code(p, n, 0);
  while (start < n) {
    size_t begin = start + 3;
    size_t next = find_start_code(p, n, begin);
    size_t end = next;
    while (end > begin && p[end - 1] == 0) --end;
    if (end > begin) nals.push_back(as_nal(p + begin, end - begin));
    start = next;
  }
  return nals;
}

// avcC: version, profile, compatibility, level, 6 bits + length size - 1,
// 3 bits + SPS count, (16-bit length, SPS)*, PPS count, (16-bit length, PPS)*.
std::optional<ParameterSets> parse_avcc(const uint8_t* p, size_t n) {
  if (n < 7 || p[0] != 1) return std::nullopt;
  ParameterSets sets;
  sets.length_size = (p[4] & 3) + 1;
  size_t at = 5;
  auto read_list = [&](std::vector<std::string>& list, int count) {
    for (int i = 0; i < count; ++i) {
      if (at + 2 > n) return false;
      size_t len = (size_t{p[at]} << 8) | p[at + 1];
      at += 2;
      if (at + len > n) return false;
      list.emplace_back(as_nal(p + at, len));
      at += len;
    }
    return true;
  };
  if (!read_list(sets.sps, p[at++] & 0x1f)) return std::nullopt;
  if (at >= n) return std::nullopt;
  int pps_count = p[at++];
  if (!read_list(sets.pps, pps_count)) return std::nullopt;
  return sets;
}

std::optional<ParameterSets> parse_annexb(const uint8_t* p, size_t n) {
  ParameterSets sets;
  for (Nal nal : split_annexb(p, n)) {
    int type = static_cast<uint8_t>(nal[0]) & 0x1f;
    if (type == 7) sets.sps.emplace_back(nal);
    if (type == 8) sets.pps.emplace_back(nal);
  }
  if (sets.sps.empty()) return std::nullopt;
  return sets;
}

std::map<std::string, std::string> split_options(const std::string& options) {
  std::map<std::string, std::string> values;
  size_t at = 0;
  while (at < options.size()) {
    size_t end = options.find(' ', at);
    if (end == std::string::npos) end = options.size();
    std::string token = options.substr(at, end - at);
    size_t eq = token.find('=');
    if (eq != std::string::npos) values[token.substr(0, eq)] = token.substr(eq + 1);
    at = end + 1;
  }
  return values;
}

}  // namespace

std::optional<ParameterSets> parse_extradata(const uint8_t* data, int size) {
  if (data == nullptr || size <= 0) return std::nullopt;
  auto n = static_cast<size_t>(size);
  if (data[0] == 1) return parse_avcc(data, n);
  return parse_annexb(data, n);
}

int level_of(const ParameterSets& sets) {
  if (sets.sps.empty() || sets.sps[0].size() < 4) return 0;
  return static_cast<uint8_t>(sets.sps[0][3]);
}

bool annexb_to_mp4(AVPacket* pkt, int length_size) {
  std::vector<Nal> nals = split_annexb(pkt->data, static_cast<size_t>(pkt->size));
  if (nals.empty()) return false;
  size_t total = 0;
  for (Nal nal : nals) total += nal.size() + static_cast<size_t>(length_size);
  AVPacket* out = av_packet_alloc();
  if (out == nullptr || av_new_packet(out, static_cast<int>(total)) < 0) {
    av_packet_free(&out);
    return false;
  }
  uint8_t* w = out->data;
  for (Nal nal : nals) {
    for (int i = length_size - 1; i >= 0; --i) *w++ = static_cast<uint8_t>(nal.size() >> (8 * i));
    std::memcpy(w, nal.data(), nal.size());
    w += nal.size();
  }
  av_packet_copy_props(out, pkt);
  av_packet_unref(pkt);
  av_packet_move_ref(pkt, out);
  av_packet_free(&out);
  return true;
}

std::string x264_options_in(const uint8_t* data, int size) {
  std::string_view text(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  size_t core = text.find("x264 - core");
  if (core == std::string_view::npos) return "";
  constexpr std::string_view kOptions = "options: ";
  size_t at = text.find(kOptions, core);
  if (at == std::string_view::npos) return "";
  at += kOptions.size();
  size_t end = at;
  while (end < text.size() && text[end] >= 0x20 && text[end] < 0x7f) ++end;
  return std::string(text.substr(at, end - at));
}

std::optional<std::string> x264_params_for(const std::string& options) {
  std::map<std::string, std::string> in = split_options(options);
  if (in.empty()) return std::nullopt;
  std::string params;
  auto add = [&](const std::string& key, const std::string& value) {
    if (value.find(':') != std::string::npos) return;  // ':' separates x264-params entries
    if (!params.empty()) params += ':';
    params += key + '=' + value;
  };

  // Settings that shape the SPS/PPS (profile, level, reference and reorder
  // depth, entropy coder, weighted prediction, initial QP, chroma QP offset,
  // HRD) or the GOP; the SEI spells them as x264_param2string does, and these
  // spellings are ones x264_param_parse accepts ('_' reads as '-').
  static const char* const kSame[] = {"cabac",
                                      "ref",
                                      "8x8dct",
                                      "bframes",
                                      "weightb",
                                      "open_gop",
                                      "weightp",
                                      "keyint",
                                      "scenecut",
                                      "intra_refresh",
                                      "constrained_intra",
                                      "bluray_compat",
                                      "stitchable",
                                      "b_adapt",
                                      "b_bias",
                                      "mbtree",
                                      "rc_lookahead",
                                      "vbv_maxrate",
                                      "vbv_bufsize",
                                      "nal_hrd",
                                      "filler",
                                      "qcomp",
                                      "qpmin",
                                      "qpmax",
                                      "qpstep",
                                      "chroma_qp_offset",
                                      "fake_interlaced",
                                      "slices"};
  for (const char* key : kSame) {
    if (auto it = in.find(key); it != in.end()) add(key, it->second);
  }
  if (auto it = in.find("keyint_min"); it != in.end()) add("min-keyint", it->second);
  if (auto it = in.find("ip_ratio"); it != in.end()) add("ipratio", it->second);
  if (auto it = in.find("pb_ratio"); it != in.end()) add("pbratio", it->second);

  // Printed as a number, parsed as a name.
  static const char* const kPyramid[] = {"none", "strict", "normal"};
  if (auto it = in.find("b_pyramid"); it != in.end()) {
    int v = std::atoi(it->second.c_str());
    if (v < 0 || v > 2) return std::nullopt;
    add("b-pyramid", kPyramid[v]);
  }
  // Printed as enabled:alpha:beta.
  if (auto it = in.find("deblock"); it != in.end()) {
    int on = 0, alpha = 0, beta = 0;
    if (std::sscanf(it->second.c_str(), "%d:%d:%d", &on, &alpha, &beta) != 3) return std::nullopt;
    if (on != 0) {
      add("deblock", std::to_string(alpha) + ',' + std::to_string(beta));
    } else {
      add("no-deblock", "1");
    }
  }
  // Printed as mode:strength.
  if (auto it = in.find("aq"); it != in.end()) {
    int mode = 0;
    double strength = 1.0;
    int n = std::sscanf(it->second.c_str(), "%d:%lf", &mode, &strength);
    if (n >= 1) add("aq-mode", std::to_string(mode));
    if (n == 2) add("aq-strength", std::to_string(strength));
  }
  if (auto it = in.find("cqm"); it != in.end()) {
    if (it->second == "0") {
      add("cqm", "flat");
    } else if (it->second == "1") {
      add("cqm", "jvt");
    } else {
      return std::nullopt;  // a custom matrix file
    }
  }
  if (auto it = in.find("interlaced"); it != in.end() && it->second != "0") return std::nullopt;

  // The rate control decides the PPS's initial QP: the CRF or QP value, or 26
  // for bitrate modes.
  std::string rc = in.count("rc") != 0 ? in["rc"] : "";
  if (rc == "crf" && in.count("crf") != 0) {
    add("crf", in["crf"]);
  } else if (rc == "cqp" && in.count("qp") != 0) {
    add("qp", in["qp"]);
  } else if ((rc == "abr" || rc == "cbr" || rc == "2pass") && in.count("bitrate") != 0) {
    add("bitrate", in["bitrate"]);
  } else {
    return std::nullopt;
  }
  // x264 lowers the chroma QP offset when psy-rd or psy-trellis is active,
  // and the SEI prints the lowered value; with psy off, the printed value
  // goes into the PPS unchanged.
  add("psy", "0");
  return params;
}

}  // namespace reel::media::join::h264
