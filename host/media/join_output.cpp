#include "host/media/join_output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "host/media/join_clip.hpp"
#include "host/media/media.hpp"
#include "host/media/temp_file.hpp"

namespace reel::media::join {

namespace fs = std::filesystem;

Output::Output(const std::string& path) : path_(path) {
  fs::path p(path);
  if (p.filename().empty()) throw MediaError(path, "names a folder, not an output file");
  fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw MediaError(path, "the folder " + folder.string() + " does not exist");
  }
  temp_ = temporary_path(path);
  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, nullptr, "mp4", temp_.c_str());
  if (err < 0) throw MediaError(path, failure("cannot set up MP4 output", err));
  fmt_.reset(raw);
}

Output::~Output() {
  if (committed_) return;
  fmt_.reset();  // closes the file before it is removed
  if (opened_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void Output::open() {
  opened_ = true;  // from here on the temporary file may exist
  int err = avio_open(&fmt_->pb, temp_.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) throw MediaError(path_, failure("cannot create the file", err));
  err = avformat_write_header(fmt_.get(), nullptr);
  if (err < 0) throw MediaError(path_, failure("cannot start the MP4", err));
}

void Output::write(AVPacket* pkt) {
  int err = av_interleaved_write_frame(fmt_.get(), pkt);
  if (err < 0) throw MediaError(path_, failure("could not write", err));
}

void Output::commit() {
  int err = av_write_trailer(fmt_.get());
  if (err < 0) throw MediaError(path_, failure("could not finish the MP4", err));
  err = avio_closep(&fmt_->pb);
  if (err < 0) throw MediaError(path_, failure("could not finish writing", err));
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec) throw MediaError(path_, "could not rename the finished file into place: " + ec.message());
  committed_ = true;
}

void VideoTrack::write(AVPacket* pkt, AVRational tb, int64_t anchor) {
  av_packet_rescale_ts(pkt, tb, st_->time_base);
  if (pkt->pts == AV_NOPTS_VALUE) pkt->pts = pkt->dts;
  if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
  if (pkt->dts == AV_NOPTS_VALUE) {
    pkt->pts = pkt->dts = last_dts_ != INT64_MIN ? last_dts_ + 1 : anchor;  // no times at all
  } else {
    pkt->pts += anchor;
    pkt->dts += anchor;
  }
  if (last_dts_ != INT64_MIN && pkt->dts <= last_dts_) pkt->dts = last_dts_ + 1;
  if (pkt->pts < pkt->dts) pkt->pts = pkt->dts;
  last_dts_ = pkt->dts;
  pkt->stream_index = st_->index;
  pkt->pos = -1;
  out_.write(pkt);
}

AudioTrack::AudioTrack(Output& out, AVStream* st)
    : out_(out), st_(st), frame_size_(st->codecpar->frame_size), held_(av_packet_alloc()) {
  if (!held_) throw std::bad_alloc();
}

void AudioTrack::begin_piece(int64_t anchor, int64_t trim_end) {
  anchor_ = anchor;
  trim_end_ = trim_end;
  shift_ = 0;
  anchored_ = false;
}

void AudioTrack::add(AVPacket* pkt, AVRational tb) {
  av_packet_rescale_ts(pkt, tb, st_->time_base);
  int64_t rel = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  if (rel == AV_NOPTS_VALUE || rel >= trim_end_) {
    av_packet_unref(pkt);
    return;
  }
  int64_t duration = pkt->duration > 0 ? pkt->duration : frame_size_ > 0 ? frame_size_ : 1024;
  int64_t span = std::max<int64_t>(duration, frame_size_);
  int64_t ideal = anchor_ + rel;
  if (anchored_ || (!has_held_ && cursor_ == AV_NOPTS_VALUE)) {
    anchored_ = true;
    place(pkt, ideal + shift_, duration, span);
    return;
  }

  // The first packet of a piece: where would it land, keeping or dropping
  // the previous piece's last packet and this one (when it is all priming,
  // before the piece's start)? Options in order of preference: dropping
  // nothing, then the previous tail (a fade of its last few milliseconds),
  // then this priming frame.
  int64_t with_tail = has_held_ ? held_pos_ + held_span_ : cursor_;
  int64_t without_tail = has_held_ ? held_pos_ : cursor_;
  if (with_tail - ideal < -span / 2) {
    // Audio starts later than the video here (the previous piece's audio was
    // short): keep its time and leave the gap.
    anchored_ = true;
    place(pkt, ideal, duration, span);
    return;
  }
  struct Option {
    bool keep_tail;
    bool keep_packet;
    int64_t error;
  };
  bool priming = rel + duration <= 0;
  Option options[4];
  int count = 0;
  options[count++] = {true, true, with_tail - ideal};
  if (has_held_) options[count++] = {false, true, without_tail - ideal};
  if (priming) options[count++] = {true, false, with_tail - ideal - span};
  if (has_held_ && priming) options[count++] = {false, false, without_tail - ideal - span};
  const Option* best = &options[0];
  for (int i = 1; i < count; ++i) {
    if (std::llabs(options[i].error) < std::llabs(best->error)) best = &options[i];
  }
  if (has_held_) best->keep_tail ? write_held() : drop_held();
  if (!best->keep_packet) {
    av_packet_unref(pkt);  // the next packet anchors the piece
    return;
  }
  anchored_ = true;
  shift_ = best->error;
  place(pkt, ideal + shift_, duration, span);
}

void AudioTrack::place(AVPacket* pkt, int64_t pos, int64_t duration, int64_t span) {
  // Never before the end of what is already there: packets decode back to back.
  int64_t floor = has_held_ ? held_pos_ + held_span_ : cursor_;
  if (floor != AV_NOPTS_VALUE && pos < floor) pos = floor;
  if (has_held_) write_held();
  av_packet_move_ref(held_.get(), pkt);
  has_held_ = true;
  held_pos_ = pos;
  held_duration_ = duration;
  held_span_ = span;
}

void AudioTrack::write_held(int64_t duration) {
  AVPacket* pkt = held_.get();
  pkt->pts = pkt->dts = held_pos_;
  pkt->duration = duration > 0 ? duration : held_span_;
  pkt->stream_index = st_->index;
  pkt->pos = -1;
  cursor_ = held_pos_ + held_span_;
  has_held_ = false;
  out_.write(pkt);
}

void AudioTrack::drop_held() {
  av_packet_unref(held_.get());
  cursor_ = held_pos_;
  has_held_ = false;
}

void AudioTrack::finish(int64_t video_end) {
  if (!has_held_) return;
  if (held_pos_ >= video_end && cursor_ != AV_NOPTS_VALUE) {
    drop_held();  // starts after the video has ended
    return;
  }
  // The last packet's duration is what MP4 keeps of it: cut at the video's end.
  int64_t duration = std::min(held_duration_, video_end - held_pos_);
  write_held(duration > 0 ? duration : held_duration_);
}

}  // namespace reel::media::join
