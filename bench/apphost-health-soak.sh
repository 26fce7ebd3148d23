#!/usr/bin/env bash
# Lockout under its AppHost as a user runs it (local mode): the API's and the writer's threads and resident memory
# before and after each of ROUNDS rounds of CALLS /health calls on each (a second round tells warm-up from a leak),
# then each service's CPU over an idle minute (utime+stime from /proc/PID/stat) with its busiest threads, then, with
# IDLE_SOAK_MINUTES, threads, memory and open files every 5 idle minutes and the CPU of the soak's last minute.
# Stops the AppHost it started. The API listens on the fixed port 8080: run it alone
# (flock -o /tmp/lockout-heavy.lock bench/apphost-health-soak.sh).
#   CALLS=10000 ROUNDS=2 IDLE_SECONDS=60 IDLE_SOAK_MINUTES=30 bench/apphost-health-soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

calls=${CALLS:-10000}
rounds=${ROUNDS:-2}
idle_seconds=${IDLE_SECONDS:-60}
idle_soak_minutes=${IDLE_SOAK_MINUTES:-0}
api=http://localhost:8080
work=$(mktemp -d)
log=$work/apphost.log

dotnet build src/Lockout.AppHost -v q -nologo >/dev/null
# In a process group of its own, so a SIGTERM reaches "dotnet run" and the AppHost it runs, and nothing else (a
# background job ignores SIGINT, so Ctrl+C's signal would not stop it).
setsid dotnet run --no-build --project src/Lockout.AppHost -- --Infrastructure:Mode=local >"$log" 2>&1 &
apphost=$!
cleanup() {
  kill -TERM -- "-$apphost" 2>/dev/null || true
  wait "$apphost" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

# The process named NAME that Aspire's orchestrator runs for this AppHost: the orchestrator (dcp) detaches from the
# AppHost but is given its pid (--monitor PID); other AppHosts on the machine have their own.
pid_of() {
  local name=$1 dcp host pid
  for dcp in $(pgrep -x dcp); do
    for host in "$apphost" $(descendants "$apphost"); do
      if tr '\0' ' ' 2>/dev/null <"/proc/$dcp/cmdline" | grep -q -- "--monitor $host "; then
        for pid in $(descendants "$dcp"); do
          [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && { echo "$pid"; return 0; }
        done
      fi
    done
  done
  return 1
}

echo "Waiting for $api/health ..."
for _ in $(seq 1 240); do
  # This AppHost's API (port 8080 is fixed: another AppHost on the machine would answer too).
  pid_of Lockout.Api >/dev/null && pid_of Lockout.Writer >/dev/null && curl -fsS -o /dev/null "$api/health" 2>/dev/null && break
  sleep 1
done
curl -fsS -o /dev/null "$api/health"

api_pid=$(pid_of Lockout.Api)
writer_pid=$(pid_of Lockout.Writer)
writer_port=$(ss -ltnpH | awk -v pid="pid=$writer_pid," '$0 ~ pid { split($4, a, ":"); print a[length(a)]; exit }')
writer=http://localhost:$writer_port
echo "api pid $api_pid ($api), writer pid $writer_pid ($writer)"

sample() {
  local label=$1 role pid
  for role in api writer; do
    pid=${role}_pid
    pid=${!pid}
    printf '%-28s %-6s threads %5s  rss %6s MiB  fds %5s\n' "$label" "$role" \
      "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")" \
      "$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")" \
      "$(ls "/proc/$pid/fd" | wc -l)"
  done
}

# CPU ticks (utime + stime, fields 14 and 15) of a process: split after the last ')' as comm may hold spaces.
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

health_calls() {
  local url=$1 config=$work/curl-$RANDOM
  for _ in $(seq 1 "$calls"); do echo "url = \"$url/health\""; echo 'output = "/dev/null"'; done >"$config"
  # One curl, one kept-alive connection, N requests; prints each status.
  curl -sS -K "$config" -w '%{http_code}\n' | sort | uniq -c | sed "s|^|  $url/health: |"
}

sample "before /health calls"
for round in $(seq 1 "$rounds"); do
  start=$(date +%s)
  health_calls "$api"
  health_calls "$writer"
  echo "  $((2 * calls)) calls in $(( $(date +%s) - start )) s"
  sample "after $((round * calls)) /health calls"
done

# CPU ticks of each thread of a process: "tid name ticks" per line.
thread_ticks() {
  local task
  for task in "/proc/$1/task/"*; do
    printf '%s %s %s\n' "${task##*/}" "$(tr ' ' '_' <"$task/comm" 2>/dev/null)" \
      "$(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{ print $12 + $13 }')"
  done | sort
}

# Each service's CPU over SECONDS idle seconds, as a share of one core, and its busiest threads.
idle_cpu() {
  local seconds=$1 label=$2 role pid hz
  hz=$(getconf CLK_TCK)
  declare -A before threads_before
  for role in api writer; do
    pid=${role}_pid
    pid=${!pid}
    before[$role]=$(ticks "$pid")
    threads_before[$role]=$(thread_ticks "$pid")
  done
  sleep "$seconds"
  for role in api writer; do
    pid=${role}_pid
    pid=${!pid}
    awk -v t="$(( $(ticks "$pid") - ${before[$role]} ))" -v hz="$hz" -v s="$seconds" -v role="$role" -v label="$label" \
      'BEGIN { printf "%s %-6s %d ticks in %d s = %.2f%% of a core\n", label, role, t, s, 100 * t / hz / s }'
    join <(echo "${threads_before[$role]}") <(thread_ticks "$pid") |
      awk '$5 > $3 { print $5 - $3, $2 }' | sort -rn | head -5 | awk '{ printf "    %4d ticks  %s\n", $1, $2 }'
  done
  echo "  load: $(uptime | sed 's/.*load/load/')"
}

echo "Idle for ${idle_seconds} s ..."
idle_cpu "$idle_seconds" idle
sample "after ${idle_seconds} s idle"

if (( idle_soak_minutes > 0 )); then
  echo "Idle soak: ${idle_soak_minutes} min (load: $(uptime | sed 's/.*load average: //'))"
  for minute in $(seq 1 $(( idle_soak_minutes - 1 ))); do
    sleep 60
    if (( minute % 5 == 0 )); then sample "idle soak, ${minute} min"; fi
  done
  idle_cpu 60 "idle soak, last minute:"
  sample "idle soak, ${idle_soak_minutes} min"
fi
