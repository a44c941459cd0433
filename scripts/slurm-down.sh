#!/usr/bin/env bash
# Stops the one-node cluster of scripts/slurm-up.sh by the pids it recorded (never by name).
set -uo pipefail
STATE=${SKD_SLURM_DIR:-/tmp/skd-slurm}
for d in slurmd slurmctld munged; do
  f="$STATE/$d.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$f"
done
echo "slurm-down: stopped"
