// The inputs of media::concat (concat.cpp). Each clip is opened once, with
// libavformat directly (probe() belongs to another file and is not needed
// here), inspected to plan the join, and then read by it.
#pragma once

#include <cstdint>
#include <string>

#include "host/media/av.hpp"

namespace reel::media::join {

struct Clip {
  std::string path;
  std::string name;  // the file name alone, for messages that compare two clips
  av::InputFormat fmt;
  AVStream* video = nullptr;
  AVStream* audio = nullptr;  // nullptr when the clip has no audio
  AVRational frame_rate{0, 1};
  int rotation = 0;      // clockwise degrees a player turns the picture: 0, 90, 180 or 270
  int64_t start = 0;     // presentation time of the first video frame, video->time_base
  int64_t duration = 0;  // of the video from the header, video->time_base; 0 when unknown
  const uint8_t* display_matrix = nullptr;  // the video stream's, when it has one
};

// Opens and inspects `path`; MediaError naming it when it is not a readable
// video (missing, not media, truncated, no video stream, no duration).
Clip open_clip(const std::string& path);

// Why `clip`'s video cannot follow `first`'s in one stream-copied MP4 track,
// in words for a user ("960×540 but the first clip, a.mp4, is 1280×720");
// "" when it can.
std::string video_difference(const Clip& first, const Clip& clip);

// The same for audio; `ref` is the clip whose audio the output track takes.
// A clip without audio differs from one with audio.
std::string audio_difference(const Clip& ref, const Clip& clip);

// Whether MP4 can hold this codec (FFmpeg's mov muxer, normal compliance).
bool mp4_can_hold(AVCodecID codec);

// "30", "29.97", "23.976"
std::string fps_text(AVRational rate);

// "`what`: <FFmpeg's error text> (<FFmpeg's last logged complaint>)", for
// MediaError reasons.
std::string failure(const std::string& what, int err);

}  // namespace reel::media::join
