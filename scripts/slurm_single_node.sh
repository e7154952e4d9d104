#!/usr/bin/env bash
# Start a single-node Slurm (Debian's slurm-wlm + munge) on this machine, as root.
# Used by .ci/run and by the `slurm` tests' fixture; does nothing if Slurm already answers.
# Install first: apt-get install slurm-wlm munge
set -euo pipefail
if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mix|alloc" \
   && scontrol show node 2>/dev/null | grep -q "RealMemory=[1-9][0-9][0-9]"; then exit 0; fi
[ "$(id -u)" -eq 0 ] || { echo "slurm_single_node.sh: must run as root" >&2; exit 1; }
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge /etc/slurm \
         /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
[ -s /etc/munge/munge.key ] || mungekey -c -f -k /etc/munge/munge.key
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=fea-test
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${host} CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
# (re)start the daemons so they read this configuration
pkill -x slurmd 2>/dev/null || true
pkill -x slurmctld 2>/dev/null || true
sleep 1
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then exit 0; fi
    sleep 1
done
echo "slurm_single_node.sh: the node did not become idle" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
