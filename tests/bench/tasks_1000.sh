#!/usr/bin/env bash
# 1 000 text-to-video tasks through the real client: `reel run` submits them at
# once (tests/bench/tasks_1000.lua, viduq2, 1 s, 540p, distinct prompts) and
# waits with async.all, against `reel sim` running as a separate process (so
# the simulator's CPU, rendering included, is not counted as reel's).
# Measures reel's wall time, CPU time (user+sys) and peak RSS with GNU time,
# and the HTTP requests per task from the simulator's /_sim/stats (creates,
# list calls, task queries, downloads, other). Exits 1 when a target is missed:
# peak RSS < 100 MB, < 3 requests per task, CPU < 2 s.
#
#   tests/bench/tasks_1000.sh [REEL]     (default: $REEL, else build/reel)
#   env: TASKS (1000) SPEED (100) CONCURRENCY (20) TIMEOUT (900 s)
#        RSS_LIMIT_MB (100) REQUESTS_LIMIT (3) CPU_LIMIT_S (2) KEEP=1 keeps the work folder
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REEL=${1:-${REEL:-$here/../../build/reel}}
TASKS=${TASKS:-1000}
SPEED=${SPEED:-100}
# The simulator renders on one or two worker threads, so its throughput is set
# by render time, not by the concurrency limit; 20 keeps the render queue full
# and lets the client's queue estimate (tasks ahead / concurrency) work on a
# realistic limit, without making every task "processing" at once.
CONCURRENCY=${CONCURRENCY:-20}
TIMEOUT=${TIMEOUT:-900}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-100}
REQUESTS_LIMIT=${REQUESTS_LIMIT:-3}
CPU_LIMIT_S=${CPU_LIMIT_S:-2}
KEY=bench-key

command -v curl >/dev/null || { echo "tasks_1000: curl is not installed" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "tasks_1000: GNU time is not installed (apt-get install time)" >&2; exit 2; }
[[ -x $REEL ]] || { echo "tasks_1000: no reel binary at $REEL" >&2; exit 2; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/tasks-1000.XXXXXX)
sim_pid=""
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  if [[ -n ${KEEP:-} ]]; then echo "tasks_1000: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=tests/bench/sim_base.sh
source "$(dirname "$0")/sim_base.sh"

# --- the simulator, in its own process ---------------------------------------
"$REEL" sim --port 0 --speed "$SPEED" --concurrency "$CONCURRENCY" --key "$KEY" \
  --credits 100000000 --data "$work/sim-data" --quiet >"$work/sim.log" 2>&1 &
sim_pid=$!
base=$(sim_base "$work/sim.log" "$sim_pid") ||
  { echo "tasks_1000: reel sim did not start:" >&2; cat "$work/sim.log" >&2; exit 2; }

# --- reel run, measured ------------------------------------------------------
echo "tasks_1000: $TASKS tasks, sim --speed $SPEED --concurrency $CONCURRENCY ($(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg))"
rc=0
VIDU_BASE_URL=$base VIDU_API_KEY=$KEY REEL_TIME_SCALE=$SPEED REEL_QUIET=1 REEL_OUT=$work/out \
  REEL_JOURNAL=${BENCH_JOURNAL:-$work/journal.db} \
  timeout "$TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
  "$REEL" run "$here/tasks_1000.lua" "$TASKS" >"$work/run.log" 2>&1 || rc=$?
cat "$work/run.log"
if [[ $rc -ne 0 ]]; then
  echo "tasks_1000: FAIL: reel run exited $rc" >&2
  tail -5 "$work/sim.log" >&2 || true
  exit 1
fi
read -r wall user sys rss_kb <"$work/time"

# --- what the server received ------------------------------------------------
curl -s --max-time 10 "$base/_sim/stats" >"$work/stats.json"
# One line: "created total creates lists queries downloads other" (the
# script's own /_sim/stats calls left out), read with reel's json.
cat >"$work/count.lua" <<'LUA'
local f = assert(io.open(arg[1]))
local s = json.decode(f:read("a"))
f:close()
local created = 0
for _, n in pairs(s.tasks_created) do created = created + n end
local c = { total = 0, creates = 0, lists = 0, queries = 0, downloads = 0, other = 0 }
for route, by_status in pairs(s.requests) do
  local n = 0
  for _, k in pairs(by_status) do n = n + k end
  local kind
  if route:match("^GET /_sim") then kind = nil
  elseif route:match("^POST /ent/v2/[%w_]+$") and not route:match("/tasks") or route == "POST /model/v1/generation" then kind = "creates"
  elseif route == "GET /ent/v2/tasks" then kind = "lists"
  elseif route:match("^GET /ent/v2/tasks/{id}/creations") or route:match("^GET /model/v1/generation/task/") then kind = "queries"
  elseif route == "GET /files" then kind = "downloads"
  else kind = "other" end
  if kind then c[kind] = c[kind] + n; c.total = c.total + n end
end
print(created, c.total, c.creates, c.lists, c.queries, c.downloads, c.other)
LUA
read -r created total creates lists queries downloads other < <("$REEL" run "$work/count.lua" "$work/stats.json")

cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
per_task() { awk -v n="$1" -v t="$TASKS" 'BEGIN { printf "%.3f", n / t }'; }
rpt=$(per_task "$total")

printf '\n%-26s %12s   %s\n' "reel run, $TASKS tasks" "measured" "target"
printf '%-26s %10.2f s\n' "wall time" "$wall"
printf '%-26s %10.2f s   < %s s  (user %.2f + sys %.2f)\n' "CPU time" "$cpu" "$CPU_LIMIT_S" "$user" "$sys"
printf '%-26s %9.1f MB   < %s MB\n' "peak RSS" "$rss_mb" "$RSS_LIMIT_MB"
printf '%-26s %12s   < %s  (%d requests)\n' "HTTP requests per task" "$rpt" "$REQUESTS_LIMIT" "$total"
printf '%-26s %12s   (%d)\n' "  creates" "$(per_task "$creates")" "$creates"
printf '%-26s %12s   (%d)\n' "  list calls" "$(per_task "$lists")" "$lists"
printf '%-26s %12s   (%d)\n' "  task queries" "$(per_task "$queries")" "$queries"
printf '%-26s %12s   (%d)\n' "  downloads" "$(per_task "$downloads")" "$downloads"
printf '%-26s %12s   (%d)\n' "  other" "$(per_task "$other")" "$other"
printf '%-26s %12d\n' "tasks created on the sim" "$created"

status=0
miss() { echo "tasks_1000: FAIL: $*" >&2; status=1; }
[[ $created -eq $TASKS ]] || miss "the simulator created $created tasks for $TASKS submits"
awk -v a="$rss_mb" -v b="$RSS_LIMIT_MB" 'BEGIN { exit !(a >= b) }' && miss "peak RSS $rss_mb MB >= $RSS_LIMIT_MB MB"
awk -v a="$rpt" -v b="$REQUESTS_LIMIT" 'BEGIN { exit !(a >= b) }' && miss "$rpt requests per task >= $REQUESTS_LIMIT"
awk -v a="$cpu" -v b="$CPU_LIMIT_S" 'BEGIN { exit !(a >= b) }' && miss "CPU $cpu s >= $CPU_LIMIT_S s"
[[ $status -eq 0 ]] && echo "tasks_1000: ok"
exit $status
