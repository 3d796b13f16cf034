# Sourced by run_app.sh and run_tests.sh: installs what coach needs into ./.venv (idempotent).
#   COACH_SKIP_APT=1   do not install Debian/Ubuntu packages (e.g. no sudo on this machine)
#   COACH_PYTHON       the Python 3.11+ interpreter to build the venv from (default: python3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian/Ubuntu packages: espeak-ng (spoken cues) and alsa-utils (pyttsx3's espeak-ng driver plays its
# audio with `aplay`), the xcb/EGL/font libraries Qt needs for a window, Xvfb (screenshots in tests).
APT_PACKAGES=(
  espeak-ng libespeak-ng1 alsa-utils
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libx11-xcb1
  xvfb xauth
)
# Extra packages a caller needs (run_tests.sh: Chromium for the HTML report test).
read -r -a EXTRA <<<"${COACH_APT_EXTRA:-}"
APT_PACKAGES+=("${EXTRA[@]}")
if [[ "${COACH_SKIP_APT:-0}" != 1 ]] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    echo "setup: installing system packages: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PY="${COACH_PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $($PY --version)" >&2
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
