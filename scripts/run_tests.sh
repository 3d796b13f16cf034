#!/usr/bin/env bash
# Install everything the tests need (system packages, .venv, coach with its dev extra) and run them.
# Real videos and pose models are read from ../shared beside the repository.
set -euo pipefail
COACH_APT_EXTRA="chromium ${COACH_APT_EXTRA:-}"  # headless Chromium renders the HTML report in a test
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
.venv/bin/python -m pip install -q -e '.[dev,train]'  # train: torch==2.13.0 CPU for the ONNX parity tests
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
if [[ -z "${COACH_POSE_MODEL:-}" && -d ../shared/models ]]; then
  COACH_POSE_MODEL="$(cd ../shared/models && pwd)"
  export COACH_POSE_MODEL
fi
.venv/bin/ruff check coach tests benchmarks scripts
exec .venv/bin/python -m pytest "$@"
