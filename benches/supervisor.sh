#!/usr/bin/env bash
# The cost of go-jail's supervisor (--report-denied, --complain) per call it
# answers: getppid() calls per second bare, in a jail whose kernel filter
# answers them, and in a jail whose supervisor answers each one.
#
#   benches/supervisor.sh [--quick] [--runs N] [--calls N] [--supervised-calls N]
#                         [--caller root|nobody|both]
#
# Builds benches/supervisor_probe.c into $CARGO_TARGET_DIR/bench-tools
# (default target/bench-tools) and go-jail's release binary, then runs every
# case --runs times, interleaved (round 1 of every case, then round 2, ...),
# and prints one markdown table per caller with the medians. As root the
# callers are root (the jail gets -user nobody: go-jail refuses a root
# target) and nobody (setpriv --reuid=65534 --regid=65534 --clear-groups,
# no -user); as another user, that user. Benchmarks measure; nothing here
# asserts: the "result" column says what the last call returned.
set -euo pipefail
args_given="$*"

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
    exit "${1:-2}"
}

runs=7
calls=1000000           # calls per run where the kernel answers (~0.1 s)
supervised_calls=20000  # calls per run where the supervisor answers
caller=both
while [ $# -gt 0 ]; do
    case $1 in
    --quick) runs=3 calls=200000 supervised_calls=5000 ;;
    --runs) runs=$2; shift ;;
    --calls) calls=$2; shift ;;
    --supervised-calls) supervised_calls=$2; shift ;;
    --caller) caller=$2; shift ;;
    -h | --help) usage 0 ;;
    *) echo "supervisor.sh: unknown option $1" >&2; usage ;;
    esac
    shift
done
case $caller in root | nobody | both) ;; *) usage ;; esac

cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
tools=$target/bench-tools
mkdir -p "$tools"
log=$tools/supervisor-build.log
: >"$log"
step() {
    if ! "$@" >>"$log" 2>&1; then
        echo "supervisor.sh: failed: $*" >&2
        tail -n 60 "$log" >&2
        exit 1
    fi
}
if ! command -v gcc >/dev/null 2>&1; then
    echo "supervisor.sh: needs gcc (apt-get install gcc libc6-dev)" >&2
    exit 1
fi
echo "building benches/supervisor_probe.c and go-jail (release) (log: $log) ..." >&2
step gcc -O2 -Wall -Wextra -o "$tools/supervisor_probe" benches/supervisor_probe.c
step cargo build --release --bin go-jail
probe=$tools/supervisor_probe
gj=$target/release/go-jail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# Cases: NAME|DESCRIPTION|GO-JAIL OPTIONS ("-" = no go-jail)|SIZE (fast:
# --calls, supervised: --supervised-calls, cross: a tenth of that)|PIN ("-":
# where the scheduler puts them; "0": go-jail and the probe on CPU 0; "0:1":
# go-jail on CPU 0, the probe moves itself to CPU 1).
# acct is a syscall the probe never makes: its deny-list leaves getppid
# allowed, so the same filter shape and supervisor are there, unused.
cases=(
    "bare|no go-jail|-|fast|-"
    "jail-allowed|jail, getppid allowed|-syscall-deny=acct|fast|-"
    "jail-denied|jail, getppid denied (kernel EPERM)|-syscall-deny=getppid|fast|-"
    "report-allowed|--report-denied, getppid allowed|-syscall-deny=acct --report-denied|fast|-"
    "report-denied|--report-denied, getppid denied (supervisor EPERM)|-syscall-deny=getppid --report-denied|supervised|-"
    "report-all|--report-denied=all, denied (a line per call)|-syscall-deny=getppid --report-denied=all|supervised|-"
    "complain|--complain, denied (supervisor lets it run)|-syscall-deny=getppid --complain|supervised|-"
    "report-denied-1cpu|--report-denied, denied, one CPU|-syscall-deny=getppid --report-denied|supervised|0"
    "complain-1cpu|--complain, denied, one CPU|-syscall-deny=getppid --complain|supervised|0"
    "report-denied-2cpu|--report-denied, denied, probe and supervisor on two CPUs|-syscall-deny=getppid --report-denied|cross|0:1"
)
if ! command -v taskset >/dev/null 2>&1; then
    echo "supervisor.sh: no taskset: skipping the one-CPU cases" >&2
    pinned_ok=false
else
    pinned_ok=true
fi
two_cpus=false
[ "$(nproc)" -ge 2 ] && two_cpus=true

callers=()
if [ "$(id -u)" = 0 ]; then
    case $caller in
    root) callers=(root) ;;
    nobody) callers=(nobody) ;;
    both) callers=(root nobody) ;;
    esac
else
    callers=(self)
fi
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
for c in "${callers[@]}"; do
    if [ "$c" = nobody ] && ! (cd / && "${as_nobody[@]}" "$gj" --version >/dev/null 2>&1 &&
        "${as_nobody[@]}" "$probe" 1 >/dev/null 2>&1); then
        echo "supervisor.sh: uid 65534 cannot run $gj or $probe (a path not searchable?): skipping it" >&2
        callers=("${callers[@]/nobody/}")
    fi
done

# run_case CALLER NAME OPTS SIZE PIN OUT: one run; appends
# "ns_per_call result report_lines" to OUT, or "fail rc" when it failed.
run_case() {
    local who=$1 name=$2 opts=$3 size=$4 pin=$5 out=$6
    local n=$calls
    [ "$size" = supervised ] && n=$supervised_calls
    [ "$size" = cross ] && n=$(((supervised_calls + 9) / 10))
    local cmd=() probe_cpu=()
    if [ "$pin" != - ]; then
        cmd+=(taskset -c "${pin%%:*}")
        [ "$pin" != "${pin#*:}" ] && probe_cpu=("${pin#*:}")
    fi
    [ "$who" = nobody ] && cmd+=("${as_nobody[@]}")
    if [ "$opts" != - ]; then
        cmd+=("$gj" -q)
        [ "$who" = root ] && cmd+=(-user nobody)
        # shellcheck disable=SC2206 # the options are words
        cmd+=($opts --)
    fi
    cmd+=("$probe" "$n" "${probe_cpu[@]}")
    local err=$work/$who-$name.err line rc=0
    line=$(cd / && "${cmd[@]}" 2>"$err") || rc=$?
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        echo "fail $rc $(head -c 200 "$err" | tr '\n' ' ')" >>"$out"
        return
    fi
    local ns result lines
    ns=$(sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p' <<<"$line")
    result=$(sed -n 's/.*result=\([^ ]*\).*/\1/p' <<<"$line")
    lines=$(grep -c '^go-jail: ' "$err" || true)
    echo "$ns $result $lines" >>"$out"
}

echo "# go-jail supervisor overhead (getppid calls per second)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel:  $(uname -r) ($(uname -m)), $(nproc) CPUs"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; the supervised cases are noisy on a busy machine)"
echo "go-jail: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src policy runner bpf-asm 2>/dev/null || echo ' (modified)')"
echo "command: benches/supervisor.sh${args_given:+ $args_given}"
echo "runs:    $runs per case, interleaved; $calls calls per run (kernel answers), $supervised_calls (supervisor answers)"
echo

for who in "${callers[@]}"; do
    [ -n "$who" ] || continue
    echo "running as $who ..." >&2
    for ((r = 1; r <= runs; r++)); do
        for c in "${cases[@]}"; do
            IFS='|' read -r name _ opts size pin <<<"$c"
            [ "$pin" != - ] && ! $pinned_ok && continue
            [ "$pin" != "${pin#*:}" ] && ! $two_cpus && continue
            run_case "$who" "$name" "$opts" "$size" "$pin" "$work/$who-$name.runs"
        done
    done

    case $who in
    root) echo "## caller root (the jail: -user nobody)" ;;
    nobody) echo "## caller nobody (setpriv --reuid=65534 --regid=65534 --clear-groups; no -user)" ;;
    self) echo "## caller $(id -un) (uid $(id -u))" ;;
    esac
    echo
    echo "| case | go-jail options | result | report lines | ns/call (median) | calls/s | × bare | ns/call min–max |"
    echo "| --- | --- | --- | --- | ---: | ---: | ---: | --- |"
    bare=""
    declare -A med=()
    for c in "${cases[@]}"; do
        IFS='|' read -r name desc opts size pin <<<"$c"
        f=$work/$who-$name.runs
        [ -f "$f" ] || continue
        shown_opts=$opts
        [ "$opts" = - ] && shown_opts="(none)"
        case $pin in
        -) ;;
        *:*) shown_opts="taskset -c ${pin%%:*}, $shown_opts, probe on CPU ${pin#*:}" ;;
        *) shown_opts="taskset -c $pin, $shown_opts" ;;
        esac
        if grep -q '^fail' "$f"; then
            echo "| $desc | \`$shown_opts\` | failed: $(grep -m1 '^fail' "$f" | cut -d' ' -f2-) | | | | | |"
            continue
        fi
        # median, min, max of ns/call; the last run's result and line count
        read -r m lo hi < <(awk '{print $1}' "$f" | sort -g | awk '
            { v[NR] = $1 }
            END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f %.1f %.1f\n", m, v[1], v[NR]
            }')
        read -r _ result lines < <(tail -n 1 "$f")
        med[$name]=$m
        [ "$name" = bare ] && bare=$m
        ratio=$(awk -v m="$m" -v b="${bare:-0}" 'BEGIN { if (b > 0) printf "%.1f", m / b; else print "?" }')
        cps=$(awk -v m="$m" 'BEGIN { printf "%.0f", 1e9 / m }')
        echo "| $desc | \`$shown_opts\` | $result | $lines | $m | $cps | $ratio | $lo–$hi |"
    done
    echo
    if [ -n "${med[report-denied]:-}" ] && [ -n "${med[jail-denied]:-}" ]; then
        awk -v s="${med[report-denied]}" -v k="${med[jail-denied]}" -v a="${med[report-allowed]:-0}" -v j="${med[jail-allowed]:-0}" 'BEGIN {
            printf "supervisor cost per answered call: %.0f ns (report-denied minus kernel-denied median)\n", s - k
            if (a > 0 && j > 0)
                printf "allowed call under --report-denied: %+.1f ns against the same jail without it\n", a - j
        }'
        if [ -n "${med[report-denied-1cpu]:-}" ]; then
            awk -v s="${med[report-denied-1cpu]}" -v k="${med[jail-denied]}" 'BEGIN {
                printf "the same on one CPU (taskset): %.0f ns\n", s - k
            }'
        fi
        if [ -n "${med[report-denied-2cpu]:-}" ]; then
            awk -v s="${med[report-denied-2cpu]}" -v k="${med[jail-denied]}" 'BEGIN {
                printf "the same with the probe and the supervisor on two CPUs: %.0f ns\n", s - k
            }'
        fi
        echo
    fi
    unset med
done
