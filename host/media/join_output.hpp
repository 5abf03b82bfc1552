// The writing side of media::concat: the MP4 under a temporary name, and the
// two tracks that place each piece's packets on the output timeline. A piece
// is a stream-copied clip or a run of clips from one encoder; its packets
// carry timestamps that count from its own start.
#pragma once

#include <cstdint>
#include <string>

#include "host/media/av.hpp"

namespace reel::media::join {

// The MP4 being written, under a hidden temporary name next to `path` until
// commit() renames it into place. Destroyed before commit(), it removes the
// temporary file, so a failed join leaves nothing behind.
class Output {
 public:
  // Checks that the folder exists; creates nothing yet.
  explicit Output(const std::string& path);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  AVFormatContext* format() const { return fmt_.get(); }
  const std::string& path() const { return path_; }

  // Creates the temporary file and writes the header; streams are final then.
  void open();
  // Takes the packet's reference (av_interleaved_write_frame).
  void write(AVPacket* pkt);
  // Writes the index and renames the file into place.
  void commit();

 private:
  std::string path_;
  std::string temp_;
  av::OutputFormat fmt_;
  bool opened_ = false;
  bool committed_ = false;
};

// Places video packets: each piece at its anchor. Decode timestamps stay
// strictly increasing across a junction even when the pieces reorder frames
// differently (B-frames), by nudging the first decode times of a piece
// forward a tick at a time, as the ffmpeg tool does.
class VideoTrack {
 public:
  VideoTrack(Output& out, AVStream* st) : out_(out), st_(st) {}
  AVStream* stream() const { return st_; }
  // `pkt`'s timestamps are in `tb`, relative to its piece, which starts at
  // `anchor` (stream time base).
  void write(AVPacket* pkt, AVRational tb, int64_t anchor);

 private:
  Output& out_;
  AVStream* st_;
  int64_t last_dts_ = INT64_MIN;
};

// Places audio packets back to back, one piece after another, each piece
// anchored to its video start. Every coded audio frame decodes to a whole
// frame (1024 samples for AAC) even when its packet says less, and a clip's
// first frame may be encoder priming meant to be skipped, which MP4 can say
// only for the start of a track. So at each junction the track chooses
// whether to keep the previous piece's last packet and the new piece's
// priming packet, whichever keeps the new piece closest to its video (within
// half a frame); differences never accumulate from clip to clip. The very
// first priming packet keeps its negative time, which the muxer turns into
// an edit list.
class AudioTrack {
 public:
  AudioTrack(Output& out, AVStream* st);
  AVStream* stream() const { return st_; }

  // `anchor`: where the piece's video starts (stream time base). Packets
  // starting at or after `trim_end` (relative) are past the piece's video
  // and are dropped.
  void begin_piece(int64_t anchor, int64_t trim_end = INT64_MAX);
  // `pkt`'s timestamps are in `tb`, relative to the piece's video start.
  void add(AVPacket* pkt, AVRational tb);
  // Writes the last packet, cut to end with the video at `video_end`.
  void finish(int64_t video_end);

 private:
  void place(AVPacket* pkt, int64_t pos, int64_t duration, int64_t span);
  void write_held(int64_t duration = 0);  // 0: what the packet decodes to
  void drop_held();

  Output& out_;
  AVStream* st_;
  int frame_size_;
  av::Packet held_;  // the newest packet, written when the next one's place is known
  bool has_held_ = false;
  int64_t held_pos_ = 0;
  int64_t held_duration_ = 0;        // as the packet says
  int64_t held_span_ = 0;            // what it decodes to
  int64_t cursor_ = AV_NOPTS_VALUE;  // end of the last written packet
  int64_t anchor_ = 0;
  int64_t trim_end_ = INT64_MAX;
  int64_t shift_ = 0;
  bool anchored_ = false;
};

}  // namespace reel::media::join
