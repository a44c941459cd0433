#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (Debian 12 packages slurm-wlm and munge, run
# as root, no systemd needed) for the Slurm tests of `skd sweep`: munged, slurmctld and slurmd,
# with their pid files in $SKD_SLURM_DIR (default /tmp/skd-slurm). scripts/slurm-down.sh stops
# them by those pids. Idempotent: when this script's cluster already answers, it does nothing.
set -euo pipefail

STATE=${SKD_SLURM_DIR:-/tmp/skd-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by skd-lab scripts/slurm-up.sh"

if [ "$(id -u)" != 0 ]; then echo "slurm-up: needs root (it writes $CONF and starts the daemons)" >&2; exit 1; fi
for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd; do
  [ -x "$b" ] || { echo "slurm-up: $b missing: apt-get install slurm-wlm munge" >&2; exit 1; }
done
if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  echo "slurm-up: $CONF exists and is not ours; not touching a real cluster's configuration" >&2
  exit 1
fi
if [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null && sinfo >/dev/null 2>&1; then
  echo "slurm-up: already running"; exit 0
fi

H=$(hostname -s)
CPUS=$(nproc)
# Slurm drains a node that has less memory than configured: announce 90% of what is there.
MEM=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d" "$STATE/log" /run/munge /etc/munge /var/log/munge /var/lib/munge
[ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
cat > "$CONF" <<EOF2
$MARK
ClusterName=skdlocal
SlurmctldHost=$H
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ReturnToService=2
KillWait=30
MinJobAge=300
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF2

if ! [ -S /run/munge/munge.socket.2 ] || ! munge -n >/dev/null 2>&1; then
  su munge -s /bin/sh -c '/usr/sbin/munged --pid-file=/run/munge/munged.pid' 
fi
cp /run/munge/munged.pid "$STATE/munged.pid" 2>/dev/null || pgrep -x munged | head -1 > "$STATE/munged.pid"
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 1 30); do
  if sinfo --noheader --format='%a %t' 2>/dev/null | grep -Eq '^up +(idle|mix|alloc)'; then
    sinfo
    exit 0
  fi
  sleep 1
done
echo "slurm-up: the node did not come up; see $STATE/log/" >&2
sinfo >&2 || true
exit 1
