#!/usr/bin/env bash
# A one-node Slurm cluster for the Slurm launcher's tests, from Debian's packages (Slurm 22.05):
#
#   scripts/slurm.sh COMMAND [ARGS...]
#
# installs slurmctld, slurmd, slurm-client and munge when missing, starts munged (as the munge
# user, with a key of its own) and both Slurm daemons with their config, state, logs and socket
# in a temporary folder (SLURM_CONF points every Slurm command there, so /etc is not touched),
# waits until the node takes jobs, runs COMMAND with SLURM_CONF set, then stops the daemons by
# their PIDs and removes the folder. Exits with COMMAND's status. Needs root (the daemons) or
# passwordless sudo for the install only when the packages are missing.
set -euo pipefail
# The daemons and munged live in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

if [ $# -eq 0 ]; then
  echo "usage: scripts/slurm.sh COMMAND [ARGS...]" >&2
  exit 2
fi

need=()
command -v slurmctld >/dev/null || need+=(slurmctld)
command -v slurmd >/dev/null || need+=(slurmd)
command -v sbatch >/dev/null || need+=(slurm-client)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  echo "slurm: installing ${need[*]} (Debian)" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "slurm: the daemons run as root here; run this script as root" >&2
  exit 2
fi

tmp=$(mktemp -d /tmp/gdlab-slurm.XXXXXX)
chmod 755 "$tmp"
munge_pid="" ctld_pid="" slurmd_pid=""
stop() {
  local rc=$?
  # By the PIDs the daemons wrote; never by name (another cluster may run on this machine).
  for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"; do
    local pid
    pid=$(cat "$f" 2>/dev/null) || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ] && [ -n "${SLURM_SH_KEEP_LOGS:-}" ]; then
    cp -r "$tmp" "$SLURM_SH_KEEP_LOGS" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to $2 seconds for the condition in $3...; says what did not happen and shows $1's log.
wait_for() {
  local log=$1 limit=$2
  shift 2
  for _ in $(seq $((limit * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "slurm: gave up after ${limit} s waiting for: $*" >&2
  [ -f "$log" ] && tail -20 "$log" >&2
  return 1
}

# munge: its own key and socket, run as the munge user (munged refuses a key others can read).
mkdir -p "$tmp/munge"
mungekey --create --keyfile "$tmp/munge/munge.key" --force 2>/dev/null ||
  dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 755 "$tmp/munge"
chmod 400 "$tmp/munge/munge.key"
chown -R munge:munge "$tmp/munge"
runuser -u munge -- munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed"
wait_for "$tmp/munge/munged.log" 10 test -S "$tmp/munge/munge.socket"

host=$(hostname -s)
cpus=$(nproc)
mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
# Ports of our own, so a cluster already on this machine (6817/6818) is left alone.
ctld_port=$((20000 + RANDOM % 20000))
slurmd_port=$((ctld_port + 1))
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=gdlab-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
KillWait=5
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -i
wait_for "$tmp/slurmctld.log" 20 scontrol ping
slurmd
node_up() { sinfo -h -N -o '%T' | grep -Eq '^(idle|mixed|allocated)'; }
wait_for "$tmp/slurmd.log" 30 node_up
echo "slurm: $(sinfo -V) on $host, $cpus CPUs, config $SLURM_CONF" >&2

set +e
"$@"
rc=$?
set -e
exit "$rc"
