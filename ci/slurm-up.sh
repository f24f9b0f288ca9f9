#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, with accounting, for the real-SLURM workflow tests.
#   sudo ci/slurm-up.sh            (Debian/Ubuntu, as root; installs the packages if missing)
#   ci/slurm-up.sh --down          (stops the daemons it started)
# Idempotent: a cluster already up with this configuration is left as it is; otherwise the
# daemons are (re)started from fresh configuration files. Fails loudly, with the daemons'
# logs, when a step does not come up.
#
# What a container needs (and why):
#   SlurmdParameters=config_overrides  declare CPUs/memory/GPUs the machine does not have, so
#                                      the profile's requests (4 CPUs, 16-96 GB) are schedulable
#   ProctrackType=proctrack/linuxproc  no cgroup hierarchy to track jobs in
#   TaskPlugin=task/none               no CPU binding / cgroup confinement in a container
#   accounting_storage/slurmdbd        the SLURM executor plugin polls job states with sacct
#   AccountingStoreFlags=job_comment   the plugin names each job's rule in its --comment
#   GRES on /dev/null symlinks         two "GPUs" for --gpus=N requests; no device behind them
set -euo pipefail

CLUSTER=${SLURM_CI_CLUSTER:-ci}
ACCOUNT=${SLURM_CI_ACCOUNT:-ci}
PARTITION=${SLURM_CI_PARTITION:-gpu}
CPUS=${SLURM_CI_CPUS:-4}
MEM_MB=${SLURM_CI_MEM_MB:-128000}
MAX_TIME=${SLURM_CI_MAX_TIME:-2-00:00:00}
NODE=$(hostname -s)
ETC=/etc/slurm
LOG=/var/log/slurm
STATE=/var/spool/slurm
GPU_DIR=/run/slurm-ci-gpus
PACKAGES=(slurm-wlm slurmdbd munge mariadb-server)

say() { printf 'slurm-up: %s\n' "$*" >&2; }
die() {
    say "FAILED: $*"
    for f in "$LOG"/slurmdbd.log "$LOG"/slurmctld.log "$LOG"/slurmd.log /var/log/munge/munged.log; do
        [[ -f $f ]] && { say "--- tail $f"; tail -n 25 "$f" >&2; }
    done
    exit 1
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local limit=$1 what=$2
    shift 2
    for ((i = 0; i < limit * 4; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    die "$what did not come up within ${limit}s"
}
stop() {  # stop NAME: the daemon started from its pid file, if running
    local pidfile=/run/slurm-ci-$1.pid pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$pidfile"
}

[[ $(id -u) == 0 ]] || die "run as root (it writes /etc/slurm and starts daemons)"

if [[ ${1:-} == --down ]]; then
    for d in slurmd slurmctld slurmdbd; do stop "$d"; done
    say "daemons stopped"
    exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    start=$SECONDS
    apt-get update -qq || die "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install ${missing[*]}"
    say "apt install: $((SECONDS - start)) s"
fi

# ---- configuration (written to a temporary folder; compared with what is running) --------
new=$(mktemp -d)
trap 'rm -rf "$new"' EXIT
cat >"$new/slurm.conf" <<EOF
# Written by ci/slurm-up.sh: a one-node cluster for the junkdna workflow tests.
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurm-ci-slurmctld.pid
SlurmdPidFile=/run/slurm-ci-slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
AccountingStorageTRES=gres/gpu
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
MinJobAge=600
KillWait=5
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:2 State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=$MAX_TIME State=UP
EOF
cat >"$new/gres.conf" <<EOF
NodeName=$NODE Name=gpu File=$GPU_DIR/gpu[0-1]
EOF
cat >"$new/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=/run/slurm-ci-slurmdbd.pid
LogFile=$LOG/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm-ci
StorageLoc=slurm_acct_db
EOF

same_config() {
    for f in slurm.conf gres.conf slurmdbd.conf; do cmp -s "$new/$f" "$ETC/$f" || return 1; done
}
cluster_up() {
    sinfo -h -p "$PARTITION" -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' &&
        sacctmgr -n -P show assoc account="$ACCOUNT" user=root format=user 2>/dev/null | grep -q root
}
if same_config && cluster_up; then
    say "cluster '$CLUSTER' already up (partition $PARTITION, account $ACCOUNT)"
    exit 0
fi
start=$SECONDS

# ---- munge ----------------------------------------------------------------------------------
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key || die "mungekey"
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged || die "munged"
    wait_for 10 munged sh -c 'munge -n | unmunge'
fi

# ---- MariaDB (the accounting database) --------------------------------------------------------
if ! mariadb -e 'select 1' >/dev/null 2>&1; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    [[ -d /var/lib/mysql/mysql ]] || mariadb-install-db --user=mysql >/dev/null || die "mariadb-install-db"
    (setsid mysqld_safe --user=mysql >/dev/null 2>&1 &)
    wait_for 30 MariaDB mariadb -e 'select 1'
fi
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm-ci';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;" || die "MariaDB user"

# ---- SLURM -------------------------------------------------------------------------------------
for d in slurmd slurmctld slurmdbd; do stop "$d"; done
mkdir -p "$ETC" "$LOG" "$STATE/ctld" "$STATE/d" "$GPU_DIR"
for i in 0 1; do ln -sfn /dev/null "$GPU_DIR/gpu$i"; done
install -m 644 "$new/slurm.conf" "$ETC/slurm.conf"
install -m 644 "$new/gres.conf" "$ETC/gres.conf"
install -m 600 -o slurm -g slurm "$new/slurmdbd.conf" "$ETC/slurmdbd.conf"
chown -R slurm:slurm "$LOG" "$STATE/ctld"

slurmdbd || die "slurmdbd"
wait_for 30 slurmdbd sacctmgr -n show cluster
sacctmgr -i -Q add cluster "$CLUSTER" >/dev/null 2>&1 || true  # exists already: fine
sacctmgr -i -Q add account "$ACCOUNT" cluster="$CLUSTER" >/dev/null 2>&1 || true
sacctmgr -i -Q add user root account="$ACCOUNT" cluster="$CLUSTER" >/dev/null 2>&1 || true
sacctmgr -n -P show assoc account="$ACCOUNT" user=root format=user | grep -q root ||
    die "account $ACCOUNT for root not in slurmdbd"

slurmctld || die "slurmctld"
wait_for 30 slurmctld scontrol ping
slurmd || die "slurmd"
wait_for 30 "node $NODE" sh -c "sinfo -h -n $NODE -o %T | grep -Eq '^(idle|mixed|allocated)'"
scontrol show node "$NODE" | grep -q "CfgTRES=.*gres/gpu=2" || die "node $NODE has no 2 GPUs"
say "cluster '$CLUSTER' up in $((SECONDS - start)) s: partition $PARTITION ($CPUS CPUs, $MEM_MB MB, 2 GPUs, MaxTime $MAX_TIME), account $ACCOUNT"
