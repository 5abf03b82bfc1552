#!/usr/bin/env bash
# Load on the simulator's task query: wrk with 1000 connections polls
# GET /ent/v2/tasks/{id}/creations across a few finished tasks for 10 s and
# prints p50/p99 latency and requests/s. As the peer measured in the same run,
# the same load hits busybox httpd serving the same JSON as static files (when
# busybox is installed; otherwise the peer is skipped and the script says so).
# Exits 1 when the simulator's p99 is 50 ms or more, or any poll failed.
#
#   tests/bench/sim_load.sh [REEL]     (default: $REEL, else build/reel)
#   env: DURATION (10s) CONNECTIONS (1000) THREADS (2) TASKS (8) P99_LIMIT_MS (50)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REEL=${1:-${REEL:-$here/../../build/reel}}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-1000}
THREADS=${THREADS:-2}
TASKS=${TASKS:-8}
P99_LIMIT_MS=${P99_LIMIT_MS:-50}
KEY=bench-key

for tool in curl wrk; do
  command -v "$tool" >/dev/null || { echo "sim_load: $tool is not installed" >&2; exit 2; }
done
[[ -x $REEL ]] || { echo "sim_load: no reel binary at $REEL" >&2; exit 2; }

# 1000 connections on each side of loopback, plus the server's files.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/sim-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + (RANDOM * 7 + 10#$(date +%N) / 1000) % 20000))
    # curl exit 7: nobody listens there
    local rc=0
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" || rc=$?
    [[ $rc -eq 7 ]] && { echo "$p"; return; }
  done
  echo "sim_load: no free port" >&2; exit 2
}

# shellcheck source=tests/bench/sim_base.sh
source "$(dirname "$0")/sim_base.sh"

# --- the simulator ---------------------------------------------------------
"$REEL" sim --port 0 --speed 1000 --key "$KEY" --quiet >"$work/sim.log" 2>&1 &
sim_pid=$!
pids+=("$sim_pid")
base=$(sim_base "$work/sim.log" "$sim_pid") ||
  { echo "sim_load: reel sim did not start:" >&2; cat "$work/sim.log" >&2; exit 2; }

ids=()
for i in $(seq "$TASKS"); do
  body=$(curl -s --max-time 30 -H "Authorization: Token $KEY" -H 'Content-Type: application/json' \
    -d "{\"model\":\"viduq2\",\"prompt\":\"load $i\",\"duration\":1,\"resolution\":\"540p\"}" "$base/ent/v2/text2video")
  id=$(sed -n 's/.*"task_id" *: *"\([0-9A-Za-z_-]*\)".*/\1/p' <<<"$body")
  [[ -n $id ]] || { echo "sim_load: create failed: $body" >&2; exit 2; }
  ids+=("$id")
done
# Let them finish, so every poll returns the full success body.
for id in "${ids[@]}"; do
  for _ in $(seq 600); do
    body=$(curl -s --max-time 10 -H "Authorization: Token $KEY" "$base/ent/v2/tasks/$id/creations")
    grep -q '"state" *: *"\(success\|failed\)"' <<<"$body" && break
    sleep 0.1
  done
  mkdir -p "$work/www/ent/v2/tasks/$id"
  printf '%s' "$body" >"$work/www/ent/v2/tasks/$id/creations"
done
SIM_TASK_IDS=$(IFS=,; echo "${ids[*]}")
export SIM_TASK_IDS SIM_KEY=$KEY

# --- wrk -------------------------------------------------------------------
# Prints "p50_ms p99_ms rps non2xx socket_errors" from wrk --latency output.
summarise() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
    END { printf "%.3f %.3f %s %d %d\n", p50, p99, rps, non2xx, errs }' "$1"
}

load() { # name url
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/sim_load.lua" "$2" >"$work/$1.wrk" 2>&1 || true
  read -r p50 p99 rps non2xx errs < <(summarise "$work/$1.wrk")
  printf '%-22s p50 %8.2f ms   p99 %8.2f ms   %10.0f req/s   non-2xx %d   socket errors %d\n' \
    "$1" "$p50" "$p99" "$rps" "$non2xx" "$errs"
}

echo "sim_load: $CONNECTIONS connections, $THREADS threads, $DURATION, polling ${#ids[@]} tasks" \
     "($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk shares the machine)"
load "reel sim" "$base"
sim_p99=$p99 sim_non2xx=$non2xx sim_rps=$rps

# --- the peer: busybox httpd, same paths as static files -------------------
if command -v busybox >/dev/null && busybox --list >"$work/busybox.list" && grep -qx httpd "$work/busybox.list"; then
  pport=$(free_port)
  busybox httpd -f -p "127.0.0.1:$pport" -h "$work/www" &
  pids+=("$!")
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$pport/ent/v2/tasks/${ids[0]}/creations" && break
    sleep 0.05
  done
  load "peer: busybox httpd" "http://127.0.0.1:$pport"
else
  echo "peer: skipped (busybox is not installed; apt-get install busybox)"
fi

status=0
if awk -v a="$sim_p99" -v b="$P99_LIMIT_MS" 'BEGIN { exit !(a >= b) }'; then
  echo "sim_load: FAIL: reel sim p99 ${sim_p99} ms >= ${P99_LIMIT_MS} ms" >&2; status=1
fi
if [[ $sim_non2xx -ne 0 ]]; then
  echo "sim_load: FAIL: $sim_non2xx polls were not 2xx" >&2; status=1
fi
awk -v r="$sim_rps" 'BEGIN { exit !(r + 0 <= 0) }' && { echo "sim_load: FAIL: no requests completed" >&2; status=1; }
[[ $status -eq 0 ]] && echo "sim_load: ok (p99 ${sim_p99} ms < ${P99_LIMIT_MS} ms)"
exit $status
