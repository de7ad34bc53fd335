#!/usr/bin/env bash
# The one-command GPU check (benchmarks/gpu_check.py): the gpu-marked tests, KS and smoke generation
# throughput, VICReg and V-JEPA pretraining throughput with bf16, in one table; exit status 1 if a row failed.
#   benchmarks/gpu_check.sh                 # on one CUDA GPU, within about 8 minutes (make gpu-check)
#   benchmarks/gpu_check.sh --cpu --tiny    # every stage on the CPU at tiny sizes, in seconds
# GPU_CHECK_PYTHON picks the interpreter (default: the project's .venv, else python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${GPU_CHECK_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
fi
exec "$python" benchmarks/gpu_check.py "$@"
