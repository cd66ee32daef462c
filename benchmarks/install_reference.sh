#!/usr/bin/env bash
# Installs the reference implementation, DeepConsensus 1.2.0 (its CPU build), into a virtual environment of
# its own, for benchmarks/bench_vs_reference.py. DeepConsensus 1.2.0 runs on Python 3.8 only, so this needs a
# Python 3.8 interpreter (pyenv, conda or the system's); dczoo itself needs 3.10 or later.
#
# Usage: bash benchmarks/install_reference.sh [DIR]
#   DIR       install folder; the environment is DIR/venv (default: $DCREF, else
#             ~/.cache/dczoo/deepconsensus-1.2.0). About 2 GB.
#   PYTHON38  the Python 3.8 interpreter (default: python3.8 on the PATH)
# Then:  python benchmarks/bench_vs_reference.py --dcref DIR
#
# Exit status: 0 installed (or already there), 2 no usable Python 3.8, 1 (or pip's status) the install failed.
set -euo pipefail

dir=${1:-${DCREF:-$HOME/.cache/dczoo/deepconsensus-1.2.0}}
python38=${PYTHON38:-python3.8}
say() { echo "install_reference.sh: $*" >&2; }

if ! command -v "$python38" >/dev/null 2>&1; then
    say "no Python 3.8 interpreter '$python38' (DeepConsensus 1.2.0 needs Python 3.8); install one and set PYTHON38=/path/to/python3.8"
    exit 2
fi
if ! version=$("$python38" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>&1); then
    say "'$python38' does not run ($(echo "$version" | head -n 1)); set PYTHON38=/path/to/python3.8"
    exit 2
fi
if [ "$version" != "3.8" ]; then
    say "'$python38' is Python $version, not 3.8; set PYTHON38=/path/to/python3.8"
    exit 2
fi

venv=$dir/venv
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$dir"
    "$python38" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
fi
# The cpu extra brings intel-tensorflow 2.9.1, the build the published comparison ran.
"$venv/bin/python" -m pip install --quiet "deepconsensus[cpu]==1.2.0"

if [ ! -x "$venv/bin/deepconsensus" ]; then
    say "the install finished but $venv/bin/deepconsensus is missing"
    exit 1
fi
tf_version=$("$venv/bin/python" -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null || true)
if [ "$tf_version" != "2.9.1" ]; then
    say "$venv has TensorFlow '${tf_version:-none}', not the 2.9.1 of deepconsensus[cpu]==1.2.0; remove $dir and run again"
    exit 1
fi
echo "DeepConsensus 1.2.0 (TensorFlow $tf_version) is in $venv"
echo "next: python benchmarks/bench_vs_reference.py --dcref $dir"
