#!/usr/bin/env bash
# Runs a container the way a container runtime and the kubelet would, without a container engine: builds the
# image's layers from a plan (COPY and RUN steps of deploy/image/Dockerfile, in order) over a base root, then runs
# the entrypoint from a read-only root filesystem, as an unprivileged user, with only the Pod's volumes
# writable, in its own mount, PID, UTS, cgroup and network namespaces, under a memory limit.
#
# Usage (as root):
#   sandbox.sh <plan-dir> <out-dir>
#
# The plan (written by the caller, e.g. deploy-tests' ImageContractE2ETest):
#   base          the base image's root directory (a directory tree; "/" stands in for the Dockerfile's FROM)
#   netns         the network namespace to run in (made by tools/kube/netns.sh; build and run use it)
#   memory        the container's memory limit in bytes (a cgroup v2 memory.max or v1 memory.limit_in_bytes)
#   hostname      the Pod's hostname (its name)
#   shell         the Dockerfile's SHELL, NUL-separated ("/bin/sh -c" if absent)
#   build-env     the environment of RUN steps (the base image's ENV), NUL-separated NAME=value
#   export-layer  optional: a path where the image's layer (what the steps added) is written as a tar
#   steps         one step a line, TAB-separated: "COPY <host file> <image path>" or "RUN <workdir> <script file>"
#   mountpoints   one directory a line: created in the container's layer before its root is made read-only
#   mounts        one mount a line, TAB-separated: "rw <container path>" (an empty writable tmpfs, an emptyDir)
#                 or "ro <container path> <host dir>" (a read-only tmpfs holding a copy of the host dir's files)
#   masks         optional, one directory a line: hidden from the container behind an empty read-only tmpfs
#                 (parts of the base root that are not the base image's, e.g. the host's home and work trees)
#   user          uid:gid of the container's process
#   workdir       its working directory
#   env           its environment, NUL-separated NAME=value
#   argv          its command line (ENTRYPOINT + args), NUL-separated
#   probe         optional: a command (NUL-separated) run as the same user in the same container once its
#                 process runs, its process id appended as the last argument (e.g. jcmd ... VM.flags)
#
# Outputs in <out-dir>: build.log (RUN steps), image-layer.txt (the files the build added or changed),
# container.log (the process's stdout and stderr), probe.txt (the probe's output), exit-code.
# The process runs until it exits or this script gets SIGTERM, which it passes on (as the kubelet does at Pod
# deletion). Nothing is written to the base root: layers live on a tmpfs that disappears with the namespace.
set -euo pipefail

die() { echo "sandbox.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: sandbox.sh <plan-dir> <out-dir>"
[ "$(id -u)" = 0 ] || die "needs root (namespaces, mounts, cgroups)"
plan="$(readlink -f "$1")"
out="$(readlink -f "$2")"
mkdir -p "$out"

# Stage 1 (the host's namespaces): a memory cgroup for the container, then new namespaces for stage 2.
if [ "${SANDBOX_STAGE:-1}" = 1 ]; then
  memory="$(cat "$plan/memory")"
  netns="$(cat "$plan/netns")"
  [ -e "/run/netns/$netns" ] || die "no network namespace $netns"
  name="istiod-sandbox-$$"
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2 (not available on the dev machine, so less tried): a child of the root cgroup, which is exempt
    # from the rule that only leaf cgroups hold processes, so its controllers can be enabled for children.
    echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    cg="/sys/fs/cgroup/$name"
    mkdir "$cg"
    [ -f "$cg/memory.max" ] || { rmdir "$cg"; die "cgroup v2 without a delegable memory controller here"; }
    echo "$memory" >"$cg/memory.max"
  elif [ -d /sys/fs/cgroup/memory ]; then
    # cgroup v1: a child of our memory cgroup.
    cg="/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)/$name"
    mkdir "$cg"
    echo "$memory" >"$cg/memory.limit_in_bytes"
  else
    die "no memory cgroup controller (neither cgroup v2 nor a v1 memory hierarchy under /sys/fs/cgroup)"
  fi
  echo "$cg" >"$out/cgroup"
  # shellcheck disable=SC2317 # trap handlers
  cleanup() { rmdir "$cg" 2>/dev/null || true; }
  trap cleanup EXIT
  # SIGTERM goes to the container's PID 1 (stage 2, unshare's child), which passes it on; the child cgroup is
  # removed once everything has exited.
  # shellcheck disable=SC2317,SC2046 # a trap handler; the children file is a list of pids
  forward() { kill -TERM $(cat "/proc/$child/task/$child/children" 2>/dev/null) 2>/dev/null || true; }
  trap forward TERM INT
  (
    echo "$BASHPID" >"$cg/cgroup.procs"
    exec nsenter --net="/run/netns/$netns" -- unshare --mount --pid --uts --cgroup --fork --kill-child=SIGTERM \
      --propagation private -- env SANDBOX_STAGE=2 bash "${BASH_SOURCE[0]}" "$plan" "$out"
  ) &
  child=$!
  status=0
  wait "$child" || status=$?
  # A TERM interrupts the first wait: wait again for the container's exit.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
  exit "$status"
fi

# Stage 2: PID 1 of new namespaces; mounts made here are private and vanish when it exits.
hostname "$(cat "$plan/hostname")"
base="$(cat "$plan/base")"
mnt="$out/mnt"
mkdir -p "$mnt"
mount -t tmpfs -o mode=0755 sandbox "$mnt"
mkdir -p "$mnt/layer/upper" "$mnt/layer/work" "$mnt/build" "$mnt/container/upper" "$mnt/root"

# Reads a NUL-separated file into the array named $1.
# shellcheck disable=SC2034 # "into" is a name reference
nul_list() { local -n into="$1"; mapfile -d '' into <"$2"; }

# Build: the image's layer over the base, as a writable overlay; RUN steps chroot into it as root.
mount -t overlay overlay -o "lowerdir=$base,upperdir=$mnt/layer/upper,workdir=$mnt/layer/work" "$mnt/build"
shell=(/bin/sh -c)
[ -s "$plan/shell" ] && nul_list shell "$plan/shell"
build_env=()
[ -s "$plan/build-env" ] && nul_list build_env "$plan/build-env"
: >"$out/build.log"
while IFS=$'\t' read -r kind a b; do
  case "$kind" in
    COPY)
      mkdir -p "$mnt/build$(dirname "$b")"
      cp "$a" "$mnt/build$b"
      chmod 0644 "$mnt/build$b"
      ;;
    RUN)
      # Like a builder's RUN: its own /proc, the host's /dev, an empty /tmp that is not part of the image.
      mount -t proc proc "$mnt/build/proc"
      mount --rbind /dev "$mnt/build/dev"
      mount -t tmpfs -o mode=1777 tmp "$mnt/build/tmp"
      mkdir -p "$mnt/build$a"
      echo "RUN (in $a): $(cat "$b")" >>"$out/build.log"
      status=0
      chroot "$mnt/build" env -i --chdir="$a" "${build_env[@]}" "${shell[@]}" "$(cat "$b")" \
        >>"$out/build.log" 2>&1 </dev/null || status=$?
      umount -R "$mnt/build/tmp" "$mnt/build/dev" "$mnt/build/proc"
      [ "$status" = 0 ] || die "RUN step failed with $status (see $out/build.log)"
      ;;
    *) die "unknown step '$kind'" ;;
  esac
done <"$plan/steps"
umount "$mnt/build"
(cd "$mnt/layer/upper" && find . -mindepth 1 | sort) >"$out/image-layer.txt"
if [ -s "$plan/export-layer" ]; then
  # The layer as an OCI layer tar. Overlay whiteouts (deleted base files) would need translating to .wh. files;
  # the Dockerfile's steps delete nothing of the base, so one here is an error rather than a silent difference.
  [ -z "$(find "$mnt/layer/upper" -type c -print -quit)" ] || die "the build deleted base files: not exportable"
  tar --numeric-owner --sort=name --mtime=@0 -C "$mnt/layer/upper" -cf "$(cat "$plan/export-layer")" .
fi

# The container's own layer holds only the mount points; its root is the read-only union of it, the image's
# layer and the base (an overlay without upper directory cannot be written: readOnlyRootFilesystem).
# Container paths resolved through the image's symlinks (e.g. /var/run -> /run), as runtimes do: a mount point
# never replaces a symlink of the image, nor leads out of its root.
in_image() { chroot "$mnt/build" realpath -m -- "$1"; }
mount -t overlay overlay -o "lowerdir=$mnt/layer/upper:$base" "$mnt/build"
declare -A resolved
while read -r dir; do
  [ -n "$dir" ] || continue
  resolved[$dir]="$(in_image "$dir")"
  mkdir -p "$mnt/container/upper${resolved[$dir]}"
done <"$plan/mountpoints"
umount "$mnt/build"
root="$mnt/root"
mount -t overlay overlay -o "lowerdir=$mnt/container/upper:$mnt/layer/upper:$base" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
# The cgroup filesystem as a runtime mounts it in a cgroup namespace: its root is the container's cgroup.
mount -t tmpfs -o mode=0755 cgroup "$root/sys/fs/cgroup"
if grep -q cgroup2 /proc/filesystems && ! grep -qE '^[0-9]+:memory:' /proc/self/cgroup; then
  mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup"
else
  # cgroup v1: every hierarchy a JVM looks for (it wants cpu, cpuacct, cpuset and memory before it trusts any).
  for controller in cpu cpuacct cpuset memory pids; do
    grep -qE "^[0-9]+:$controller:" /proc/self/cgroup || continue
    mkdir "$root/sys/fs/cgroup/$controller"
    mount -t cgroup -o "ro,nosuid,nodev,noexec,$controller" cgroup "$root/sys/fs/cgroup/$controller"
  done
  mount -o remount,ro,bind "$root/sys/fs/cgroup"
fi
while IFS=$'\t' read -r mode path source; do
  [ -n "$mode" ] || continue
  case "$mode" in
    rw) path="${resolved[$path]}"; mount -t tmpfs -o mode=0777,nosuid,nodev "volume" "$root$path" ;;
    ro)
      path="${resolved[$path]}"
      mount -t tmpfs -o mode=0755,nosuid,nodev "volume" "$root$path"
      cp -a "$source/." "$root$path/"
      chmod -R a+rX "$root$path"
      mount -o remount,ro,bind "$root$path"
      ;;
    *) die "unknown mount mode '$mode'" ;;
  esac
done <"$plan/mounts"

if [ -s "$plan/masks" ]; then
  while read -r dir; do
    [ -n "$dir" ] && [ -d "$root$dir" ] && mount -t tmpfs -o ro,mode=0755 mask "$root$dir"
  done <"$plan/masks"
fi

uid="$(cut -d: -f1 "$plan/user")"
gid="$(cut -d: -f2 "$plan/user")"
workdir="$(cat "$plan/workdir")"
env_list=()
nul_list env_list "$plan/env"
argv=()
nul_list argv "$plan/argv"
# securityContext: runAsUser/Group, allowPrivilegeEscalation: false (no_new_privs), capabilities drop ALL.
as_user=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all)
chroot "$root" "${as_user[@]}" env -i --chdir="$workdir" "${env_list[@]}" "${argv[@]}" \
  >"$out/container.log" 2>&1 </dev/null &
container=$!
trap 'kill -TERM "$container" 2>/dev/null || true' TERM INT

if [ -s "$plan/probe" ]; then
  probe=()
  nul_list probe "$plan/probe"
  # Retried until the process answers (a JVM takes a moment before it accepts an attach), bounded.
  for _ in $(seq 60); do
    kill -0 "$container" 2>/dev/null || break
    if chroot "$root" "${as_user[@]}" env -i "${env_list[@]}" "${probe[@]}" "$container" >"$out/probe.txt" 2>&1 \
        </dev/null; then
      break
    fi
    sleep 1
  done
fi

status=0
wait "$container" || status=$?
while kill -0 "$container" 2>/dev/null; do wait "$container" || status=$?; done
echo "$status" >"$out/exit-code"
exit "$status"
