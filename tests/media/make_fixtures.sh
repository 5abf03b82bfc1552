#!/usr/bin/env bash
# Makes the test media with the ffmpeg CLI (the reference tool, used here only
# to produce inputs). Idempotent: skips the work when OUT holds media made by
# this same version of the script.
#   tests/media/make_fixtures.sh OUT_DIR
set -euo pipefail
out=${1:?usage: make_fixtures.sh OUT_DIR}
stamp="$out/.stamp"
version=$(sha256sum "$0" | cut -c1-16)
if [[ -f $stamp && $(cat "$stamp") == "$version" ]]; then exit 0; fi
mkdir -p "$out"
cd "$out"
rm -f ./*.mp4 ./*.mov ./*.avi ./*.webm ./*.png ./*.jpg ./*.webp ./*.bin

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# A moving test pattern with a tone: every frame differs, so frame checks mean something.
video() { # seconds size rate
  echo "-f lavfi -i testsrc2=duration=$1:size=$2:rate=$3 -f lavfi -i sine=frequency=440:duration=$1:sample_rate=48000"
}
x264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p)
aac=(-c:a aac -b:a 64k -ac 2)

# Containers and codecs.
ff $(video 5 1280x720 30) "${x264[@]}" "${aac[@]}" h264_aac.mp4
ff $(video 5 1280x720 30) "${x264[@]}" "${aac[@]}" -movflags +faststart h264_aac_faststart.mp4
ff $(video 5 640x360 30) "${x264[@]}" -an video_only.mp4
ff $(video 4 720x1280 30) "${x264[@]}" "${aac[@]}" portrait_9x16.mp4
ff -i h264_aac.mp4 -c copy -metadata:s:v:0 rotate=90 rotated.mp4
ff $(video 4 720x576 25) -vf setsar=16/15 "${x264[@]}" "${aac[@]}" anamorphic.mp4
ff $(video 4 640x360 30000/1001) "${x264[@]}" "${aac[@]}" ntsc_2997.mov
ff $(video 4 640x360 25) -c:v mpeg4 -q:v 5 -c:a libmp3lame -b:a 64k mpeg4.avi
ff $(video 4 640x360 25) -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k -c:a libopus vp9.webm

# Extension sources around Vidu's 4–60 s limits (small frames keep them quick).
for s in 3.5 4 60 61; do
  ff $(video "$s" 320x180 25) "${x264[@]}" "${aac[@]}" "src_${s}s.mp4"
done

# Frames: a single-GOP 1080p clip and one with a keyframe every 2 s.
ff $(video 5 1920x1080 30) "${x264[@]}" -g 1000 -an gop_single_1080p.mp4
ff $(video 5 1920x1080 30) "${x264[@]}" -g 60 -keyint_min 60 -an gop_2s_1080p.mp4

# Joins: ten matching 720p clips, one of another size, one without audio.
for i in 01 02 03 04 05 06 07 08 09 10; do
  ff $(video 5 1280x720 30) "${x264[@]}" "${aac[@]}" "cat_$i.mp4"
done
ff $(video 3 960x540 30) "${x264[@]}" "${aac[@]}" cat_other_size.mp4
ff $(video 3 1280x720 30) "${x264[@]}" -an cat_no_audio.mp4

# Images, recognised by content.
ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 image.png
ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 -q:v 3 image.jpg
ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 -c:v libwebp image.webp
ff -f lavfi -i testsrc2=size=640x400 -frames:v 1 image_640x400.png
ff -f lavfi -i testsrc2=size=160x800 -frames:v 1 tall_1x5.png
ff -f lavfi -i testsrc2=size=100x100 -frames:v 1 small_100.png
cp image.png png_named.jpg            # wrong extension: the content decides
cp image.jpg jpeg_named.mp4

# Bad input.
head -c "$(( $(stat -c %s h264_aac.mp4) / 2 ))" h264_aac.mp4 > truncated.mp4
: > empty.mp4
# Noise, but always the same noise: random bytes now and then look like a
# text subtitle to FFmpeg's probe (1 in a few hundred runs). AES-CTR of zeros
# under a fixed key is checked to be refused as "not a media file".
head -c 65536 /dev/zero |
  openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 > garbage.mp4
head -c 20000 image.png > truncated.png
ff -f lavfi -i sine=duration=3 -c:a aac audio_only.mp4

# ---------------------------------------------------------------------------
# Probe and check (tests/unit/media_probe_test.cpp).
rm -f ./*.srt ./*.txt
# Images around Vidu's limits: two problems at once, pairs for start_end
# (same pixel count but another shape; same shape at 4× the pixels), the
# WebP flavours, and one wider than reel's 16384 px (1-bit, so it stays small).
ff -f lavfi -i testsrc2=size=60x300 -frames:v 1 small_tall_60x300.png
ff -f lavfi -i testsrc2=size=480x480 -frames:v 1 square_480.png
ff -f lavfi -i testsrc2=size=1280x720 -frames:v 1 -q:v 3 image_1280x720.jpg
ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 -c:v libwebp -lossless 1 image_lossless.webp
ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 -vf format=rgba,colorchannelmixer=aa=0.5,format=yuva420p -c:v libwebp image_alpha.webp
ff -f lavfi -i color=c=white:size=17000x5000 -frames:v 1 -pix_fmt monob huge_17000x5000.png
# More bad input: cut short after a complete moov, cut-short JPEG and WebP,
# a file with no frames at all, subtitles only, and text.
head -c "$(( $(stat -c %s h264_aac_faststart.mp4) / 2 ))" h264_aac_faststart.mp4 > truncated_faststart.mp4
head -c "$(( $(stat -c %s image.jpg) / 2 ))" image.jpg > truncated.jpg
head -c "$(( $(stat -c %s image.webp) / 2 ))" image.webp > truncated.webp
ff -f lavfi -i testsrc2=size=320x180:rate=25 -frames:v 0 -c:v libx264 -pix_fmt yuv420p zero_frames.mp4
printf '1\n00:00:00,000 --> 00:00:01,000\nhello\n' > subtitle_only.srt
printf 'shot list\n1. lighthouse at dawn\n' > notes.txt

echo "$version" > "$stamp"
