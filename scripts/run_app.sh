#!/usr/bin/env bash
# Install coach into .venv (plus the system libraries Qt and speech need) and open the desktop app.
# Extra arguments go to `coach`, e.g. `scripts/run_app.sh analyze clip.mp4`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
.venv/bin/python -m pip install -q -e .
exec .venv/bin/coach "$@"
