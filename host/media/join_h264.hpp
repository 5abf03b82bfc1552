// H.264 details a join needs: comparing parameter sets (SPS/PPS), turning
// libx264's Annex B output into MP4's length-prefixed NAL units, and reading
// the settings x264 records in its bitstream so that a re-encoded clip can
// get the very same SPS/PPS as the clips copied around it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/packet.h>
}

namespace reel::media::join::h264 {

struct ParameterSets {
  std::vector<std::string> sps;  // whole NAL units, header byte included
  std::vector<std::string> pps;
  int length_size = 4;  // bytes before each NAL unit in MP4 samples (avcC), 4 for Annex B input
  bool operator==(const ParameterSets& other) const { return sps == other.sps && pps == other.pps; }
};

// From codec extradata in either form: avcC (MP4) or Annex B (start codes,
// what libx264 gives with a global header). nullopt when it is neither.
std::optional<ParameterSets> parse_extradata(const uint8_t* data, int size);

// level_idc of the first SPS (30 for level 3.0); 0 when unknown.
int level_of(const ParameterSets& sets);

// Rewrites an Annex B packet as length-prefixed NAL units in place; false
// when the packet has no start code or memory runs out.
bool annexb_to_mp4(AVPacket* pkt, int length_size);

// The "options: ..." text x264 writes into an SEI of its first frame
// ("cabac=0 ref=1 ... crf=23.0 ..."); "" when `data` has none.
std::string x264_options_in(const uint8_t* data, int size);

// x264-params for libx264 that reproduce the header-relevant settings in
// `options` (from x264_options_in); nullopt when they cannot be reproduced
// (interlaced, custom quantiser matrices, unknown rate control).
std::optional<std::string> x264_params_for(const std::string& options);

}  // namespace reel::media::join::h264
