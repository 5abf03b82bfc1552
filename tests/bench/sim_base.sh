# Sourced by the bench scripts that run `reel sim --port 0`: prints the
# simulator's base URL once it says where it serves (the port is the
# system's pick, so no run can take another's), or fails if the simulator
# exits or stays silent for 10 s.
#   "$REEL" sim --port 0 ... >"$log" 2>&1 & pid=$!
#   base=$(sim_base "$log" "$pid") || { cat "$log" >&2; exit 2; }
sim_base() {
  local log=$1 pid=$2 url
  for _ in $(seq 200); do
    url=$(grep -o -m1 'serving the Vidu API at http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null) &&
      { echo "${url##* at }"; return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
