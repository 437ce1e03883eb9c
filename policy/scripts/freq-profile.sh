#!/usr/bin/env bash
# Produces a syscall frequency profile (`name<TAB>count`, most frequent first)
# from `strace -c -f` runs of ordinary workloads, in the format of
# policy/data/freq/x86_64.tsv and of `--profile-weights FILE`.
#
#   policy/scripts/freq-profile.sh > my-profile.tsv
#   policy/scripts/freq-profile.sh -- my-server --flag   # profile your own command
#
# The shipped policy/data/freq/x86_64.tsv is the profile in
# ../shared/data/syscall_freq_x86_64.tsv (strace -c -f over ordinary shell,
# file-tree and interpreter workloads); this script makes a comparable one
# on any machine. Needs strace (apt-get install strace).
set -euo pipefail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs=0
run() {
    runs=$((runs + 1))
    strace -f -c -U name,calls -o "$work/$runs.txt" "$@" >/dev/null 2>&1 || true
}

if [ "${1:-}" = "--" ]; then
    shift
    run "$@"
else
    run ls -laR /usr/share/doc
    run find /usr/lib -name '*.so*'
    run grep -r --include='*.conf' -l root /etc
    run tar -cf /dev/null /usr/share/man
    run sh -c 'for i in $(seq 200); do echo $i | sort | uniq >/dev/null; done'
    run python3 -c 'import json, os; [json.dumps(os.listdir(d)) for d in ("/usr/bin", "/etc")]'
    run gzip -c /usr/bin/python3
    run du -s /usr/share
fi

# strace -c prints "name  calls" rows (the -U order) between dashed lines.
cat "$work"/*.txt |
    awk '$1 !~ /^-/ && $1 != "syscall" && $1 != "total" && NF == 2 && $2 ~ /^[0-9]+$/ { n[$1] += $2 }
         END { for (s in n) printf "%s\t%d\n", s, n[s] }' |
    sort -t "$(printf '\t')" -k2,2nr -k1,1
