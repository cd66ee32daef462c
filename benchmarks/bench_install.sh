#!/usr/bin/env bash
# What `make demo` costs per Keras backend: each backend gets a fresh virtual environment in a scratch
# folder (`make demo-setup VENV=... DEMO_BACKEND=...`), then runs the demo in it (`make demo ...`).
#
# Usage: bash benchmarks/bench_install.sh [BACKEND ...]      (default: jax tensorflow torch)
#   WORK=DIR          scratch folder (default: a new temporary folder, removed at the end)
#   PIP_NO_CACHE_DIR=1  download every package, as on a fresh machine (pip's cache speeds up later runs)
# Prints, per backend: install seconds, environment size (MiB), demo seconds, the demo's mean identity
# before -> after correction, and the load average before the install (installs share the CPU).
# The demo writes demo_output/ in the repository, as `make demo` does.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
backends=${*:-jax tensorflow torch}
if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d -t dczoo_bench_install.XXXXXX)
    trap 'rm -rf "$work"' EXIT
fi

now() { python3 -c 'import time; print(time.time())'; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }
printf "%-11s %10s %9s %8s  %-28s %s\n" backend "install s" "size MiB" "demo s" "mean identity (draft -> corrected)" "load average"
for backend in $backends; do
    venv=$work/venv-$backend
    rm -rf "$venv"
    load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
    start=$(now)
    if ! make -C "$repo" --no-print-directory demo-setup VENV="$venv" DEMO_BACKEND="$backend" \
            > "$work/$backend.install.log" 2>&1; then
        echo "$backend: the install failed:" >&2
        tail -n 20 "$work/$backend.install.log" >&2
        exit 1
    fi
    installed=$(now)
    if ! make -C "$repo" --no-print-directory demo VENV="$venv" DEMO_BACKEND="$backend" \
            > "$work/$backend.demo.log" 2>&1; then
        echo "$backend: the demo failed:" >&2
        tail -n 20 "$work/$backend.demo.log" >&2
        exit 1
    fi
    finished=$(now)
    size=$(du -sm "$venv" | cut -f1)
    identity=$(grep -o 'to truth [0-9.]* (draft) -> [0-9.]*' "$work/$backend.demo.log" | sed 's/to truth //; s/ (draft)//')
    printf "%-11s %10s %9s %8s  %-28s %s\n" "$backend" "$(seconds "$start" "$installed")" "$size" \
        "$(seconds "$installed" "$finished")" "$identity" "$load"
done
