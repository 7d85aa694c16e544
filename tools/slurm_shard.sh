#!/usr/bin/env bash
# Runs docs/slurm/tcpflow-shard.sbatch as a real Slurm job array on this machine and checks that
# the shards together wrote what one tcpflow run writes.
#
#   tools/slurm_shard.sh [--tcpflow BIN] [--conns C] [N]      (as root; N shards, default 4)
#
# 1. Installs Debian's slurm-wlm and munge when missing (apt-get).
# 2. Brings up a single-node cluster of its own: munged, slurmctld and slurmd as root, with their
#    key, configuration, sockets, state and logs in a temporary folder (on /dev/shm when there
#    is one) and on free ports. Nothing
#    of the system's Slurm or munge configuration is used or changed; a system munged or slurmd
#    that may be running is left alone.
# 3. Writes a capture (tools/shard_capture.py, C connections, default 4000), submits the array
#    (--array=0-(N-1)), waits for it, and runs tcpflow once on the same capture.
# 4. Stops the daemons it started (by their pid files), whatever happened, and removes the folder.
# 5. Compares (tools/shard_compare.py): the same flow files, contents and mtimes; the merged
#    reports equal one run's. Exit 0 when they do, 1 when not (or when the job failed).
# Exit 77 (skipped; the ctest test ShardSlurm.ArrayJobEqualsOneRun counts it as a skip) when not
# root or when the packages cannot be installed. Takes about 20 s.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tcpflow=${TCPFLOW:-$root/build/tcpflow}
conns=4000
n=4
while (($#)); do
    case $1 in
        --tcpflow) tcpflow=$2; shift 2 ;;
        --conns) conns=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) n=$1; shift ;;
    esac
done

skip() {
    echo "slurm_shard.sh: Skipped"
    echo "$*"
    exit 77
}
say() { echo "slurm_shard.sh: [$SECONDS s] $*"; }

[[ $EUID -eq 0 ]] || skip "needs root: it starts munged, slurmctld and slurmd"
[[ -x $tcpflow ]] || { say "no tcpflow binary at $tcpflow (build it, or --tcpflow BIN)"; exit 1; }
tcpflow=$(readlink -f "$tcpflow")

missing=()
for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
    apt_install || { apt-get -o DPkg::Lock::Timeout=300 update -qq && apt_install; } ||
        skip "cannot install ${missing[*]} with apt-get (no package source?)"
fi

# On tmpfs when there is one: the test writes and compares thousands of small files.
base=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
tmp=$(mktemp -d "$base/tcpflow-slurm.XXXXXX")
chmod 700 "$tmp"
stop_daemons() {
    local f pid
    for f in "$tmp"/run/slurmd.pid "$tmp"/run/slurmctld.pid "$tmp"/run/munged.pid; do
        [[ -s $f ]] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}
cleanup() {
    local status=$?
    stop_daemons
    if ((status != 0 && status != 77)); then
        for log in "$tmp"/log/*.log; do
            [[ -f $log ]] && { echo "--- $log (last lines)"; tail -n 15 "$log"; }
        done
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp"/{run,log,state/ctld,state/d,munge,jobs,out}
chmod 700 "$tmp"/munge
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# munge: a key of our own and a socket of our own.
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --force --socket="$tmp/munge/munge.socket" --key-file="$tmp/munge/munge.key" \
    --log-file="$tmp/log/munged.log" --pid-file="$tmp/run/munged.pid" --seed-file="$tmp/munge/munged.seed"

host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]*//')   # CPUs, sockets, cores, RealMemory of this machine
export SLURM_CONF=$tmp/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=tcpflowtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state/ctld
SlurmdSpoolDir=$tmp/state/d
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MinJobAge=300
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=tcpflow Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
: > "$tmp/plugstack.conf"

slurmctld -i
slurmd
# Up when the node is idle (slurmd registered with slurmctld).
deadline=$((SECONDS + 60))
until [[ $(sinfo -h -n "$host" -o %t 2>/dev/null) == idle ]]; do
    ((SECONDS < deadline)) || { say "the node did not come up within 60 s"; sinfo -N -l || true; exit 1; }
    sleep 0.2
done
say "single-node Slurm up ($host, $(sinfo -h -o %c) CPUs)"

python3 "$root/tools/shard_capture.py" --conns "$conns" "$tmp/capture.pcap"
say "submitting the array: $n shards of $conns connections"
job=$(sbatch --parsable --array=0-$((n - 1)) --cpus-per-task=1 --mem=256M \
    --chdir="$tmp/jobs" --output="$tmp/jobs/%A_%a.log" \
    --export=ALL,CAPTURE="$tmp/capture.pcap",OUT="$tmp/out/shards",TCPFLOW="$tcpflow" \
    "$root/docs/slurm/tcpflow-shard.sbatch")
job=${job%%;*}
# Done when no task of the array is pending or running (polled: sbatch --wait polls every 10 s).
deadline=$((SECONDS + 150))
while [[ -n $(squeue -h -j "$job" -o %i 2>/dev/null) ]]; do
    ((SECONDS < deadline)) || { say "the array job $job did not finish within 150 s"; squeue -a || true; exit 1; }
    sleep 0.2
done
for log in "$tmp"/jobs/*.log; do
    [[ -s $log ]] && { echo "--- $(basename "$log")"; cat "$log"; }
done
# Every task completed with exit code 0 (Slurm keeps finished jobs' records for MinJobAge).
states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]* .*ExitCode=[0-9:]*' | sed 's/ .*ExitCode=/ /' | sort | uniq -c)
say "array job $job: $(echo "$states" | tr -s ' \n' ' ')"
tasks_ok=$(scontrol -o show job "$job" | grep -c 'JobState=COMPLETED .*ExitCode=0:0' || true)
if ((tasks_ok != n)); then
    say "$tasks_ok of $n array tasks completed with exit code 0"
    scontrol -o show job "$job" || true
    exit 1
fi
stop_daemons
say "daemons stopped; one run"
"$tcpflow" -q -r "$tmp/capture.pcap" -o "$tmp/out/one"
reports=("$tmp"/out/shards/report-*-of-"$n".xml)
((${#reports[@]} == n)) || { say "expected $n reports, found ${#reports[@]}"; exit 1; }
python3 "$root/tools/shard_compare.py" "$tmp/out/one" "$tmp/out/shards"
say "OK: $n Slurm array tasks wrote what one run writes"
