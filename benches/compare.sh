#!/usr/bin/env bash
# go-jail against libseccomp on the reference policies.
#
#   benches/compare.sh [--quick] [--weights FILE]... [--iters N] [--rounds N]
#                      [--compile-iters N] [--startup-runs N]
#
# As root on Debian/Ubuntu: installs libseccomp-dev if missing, builds the C
# helpers (benches/libseccomp_export.c, benches/kbench.c) into
# $CARGO_TARGET_DIR/bench-tools (default target/bench-tools), builds go-jail's
# release binary, then runs the comparison (benches/compare.rs), which prints
# one table per policy and go-jail's start-up beside setpriv.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
tools=$target/bench-tools

apt_install() {
    apt-get install -y -qq "$@" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null; } ||
        { echo "compare.sh: cannot install $* with apt-get (run as root)" >&2; exit 1; }
}

if ! dpkg -s libseccomp-dev >/dev/null 2>&1; then
    echo "installing libseccomp-dev ..." >&2
    apt_install libseccomp-dev
fi
if ! command -v gcc >/dev/null 2>&1; then
    echo "installing gcc ..." >&2
    apt_install gcc libc6-dev
fi

mkdir -p "$tools"
log=$tools/build.log
: >"$log"
step() {
    if ! "$@" >>"$log" 2>&1; then
        echo "compare.sh: failed: $*" >&2
        tail -n 60 "$log" >&2
        exit 1
    fi
}
echo "building the C helpers, go-jail (release) and the comparison (log: $log) ..." >&2
step gcc -O2 -Wall -Wextra -o "$tools/libseccomp_export" benches/libseccomp_export.c -lseccomp
step gcc -O2 -Wall -Wextra -o "$tools/kbench" benches/kbench.c
step cargo build --release --bin go-jail
step cargo bench --bench compare --no-run
# The bench executable, run directly so that build warnings stay in the log.
compare=$(sed -n 's/^ *Executable benches\/compare\.rs (\(.*\))$/\1/p' "$log" | tail -n 1)
if [ ! -x "$compare" ]; then
    echo "compare.sh: cannot find the compare bench executable in $log" >&2
    exit 1
fi

echo "# go-jail vs libseccomp"
echo "date:       $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel:     $(uname -r) ($(uname -m)), $(nproc) CPUs"
echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; kernel figures are noisy on a busy machine)"
echo "libseccomp: $(dpkg-query -W -f='${Version}' libseccomp-dev 2>/dev/null || echo '?')"
echo "command:    benches/compare.sh${*:+ $*}"
echo
exec "$compare" --tools "$tools" --go-jail "$target/release/go-jail" "$@"
