"""The live app's user settings: a few flat keys in a TOML file in the user config directory.

The file is `settings.toml` in `platformdirs.user_config_dir("coach")`, or in `$COACH_CONFIG_DIR` when that
is set (tests point it at a temporary directory). Reading uses `tomllib`; writing is done here because the
file holds only flat strings and booleans, so no TOML writer dependency is needed.

Policy for bad input: a missing file gives the defaults; an unreadable or malformed file, or a key of the
wrong type, is logged and replaced by the default for that key, so a broken settings file never stops the
app from opening. Unknown keys are ignored (a newer version may have written them).

Written feedback after a recording (`coach.feedback`): `feedback_gpt` is the opt-in for sending the
numbers-only summary to a GPT model (off by default: nothing leaves the machine); `feedback_base_url` and
`feedback_model` override $COACH_OPENAI_BASE_URL / $COACH_OPENAI_MODEL when not empty. The API key is NEVER
a setting: it comes from the environment or the OS keyring (`coach.feedback.gpt`), and a base URL carrying
credentials (user:password@ or a query string) is refused so that no secret can end up in this file.

Recordings made in the live app go to `sessions_dir()`: `sessions/` in the user data directory
(`platformdirs.user_data_dir("coach")`, or `$COACH_DATA_DIR`, the same place as the session library).

No Qt here: the window's geometry is Qt's business and lives in a QSettings file beside this one.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from coach.activities import ACTIVITIES, AUTO
from coach.library.paths import data_dir

__all__ = [
    "AppSettings",
    "base_url_problem",
    "config_dir",
    "load_settings",
    "new_session_dir",
    "save_settings",
    "sessions_dir",
    "settings_path",
]

log = logging.getLogger(__name__)

CONFIG_DIR_ENV = "COACH_CONFIG_DIR"
SETTINGS_FILE = "settings.toml"


@dataclass(slots=True)
class AppSettings:
    """What the live window remembers between runs.

    `source` is a camera number written as digits ("0") or a video file path; `exercise` is "auto" or one
    of `coach.activities.ACTIVITIES`. `feedback_*`: see the module docstring ("" means: the environment's
    value, else the default).
    """

    source: str = "0"
    exercise: str = AUTO
    mirror: bool = True
    muted: bool = False
    speak_counts: bool = True
    feedback_gpt: bool = False
    feedback_base_url: str = ""
    feedback_model: str = ""
    athlete: str = ""  # who trains: written into recordings, picks their personal anomaly threshold

    def __post_init__(self) -> None:
        if self.exercise != AUTO and self.exercise not in ACTIVITIES:
            raise ValueError(f"unknown exercise {self.exercise!r}; expected 'auto' or one of {ACTIVITIES}")
        problem = base_url_problem(self.feedback_base_url)
        if problem:
            raise ValueError(problem)


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the feedback server's base URL, or None when it can ("" = the default server).

    Only plain http(s) URLs without credentials or a query are accepted: the settings file is not a place
    for secrets, and the key has its own channel (environment or OS keyring).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        return f"feedback base URL {url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the feedback base URL must start with http:// or https:// and name a host"
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        # Not echoed back: the text after the host may be a secret.
        return "the feedback base URL must not hold credentials or a query (the API key is never a setting)"
    return None


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$COACH_CONFIG_DIR` if set, else the platform's user config directory for coach."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("coach", appauthor=False))


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the settings file lives (it may not exist yet)."""
    return config_dir(env) / SETTINGS_FILE


def sessions_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the live app puts its recordings: `sessions/` in the user data directory (may not exist)."""
    return data_dir(env) / "sessions"


def new_session_dir(exercise: str | None, when: datetime | None = None, root: Path | None = None) -> Path:
    """A directory name for a new recording, not yet existing: `<root>/<YYYYmmdd-HHMMSS>_<exercise>`
    (`-2`, `-3`... appended if taken). `root` defaults to `sessions_dir()`; nothing is created here."""
    root = sessions_dir() if root is None else root
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", exercise or AUTO).strip("-") or AUTO
    candidate = root / f"{stamp}_{name}"
    n = 2
    while candidate.exists():
        candidate = root / f"{stamp}_{name}-{n}"
        n += 1
    return candidate


def load_settings(path: Path | None = None) -> AppSettings:
    """The saved settings, or the defaults for anything missing or invalid (logged, never raised)."""
    path = settings_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppSettings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("ignoring unreadable settings file %s: %s", path, exc)
        return AppSettings()
    defaults = AppSettings()
    values: dict[str, object] = {}
    for f in fields(AppSettings):
        default = getattr(defaults, f.name)
        value = data.get(f.name, default)
        if type(value) is not type(default):
            log.warning("settings %s: %s=%r is not a %s; using %r", path, f.name, value,
                        type(default).__name__, default)
            value = default
        values[f.name] = value
    if values["exercise"] != AUTO and values["exercise"] not in ACTIVITIES:
        log.warning("settings %s: unknown exercise %r; using %r", path, values["exercise"], AUTO)
        values["exercise"] = AUTO
    problem = base_url_problem(str(values["feedback_base_url"]))
    if problem:
        log.warning("settings %s: %s; using the default server", path, problem)
        values["feedback_base_url"] = ""
    return AppSettings(**values)  # type: ignore[arg-type]


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write `settings` atomically (temp file, then rename); returns the path written.

    Raises ValueError for a feedback base URL that could carry a secret (fields may have been assigned
    after construction, so it is checked again here, before anything is written)."""
    path = settings_path() if path is None else path
    problem = base_url_problem(settings.feedback_base_url)
    if problem:
        raise ValueError(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# coach live app settings (written by coach; edit while coach is closed)"]
    for f in fields(AppSettings):
        lines.append(f"{f.name} = {_toml_value(getattr(settings, f.name))}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    raise TypeError(f"settings hold only strings and booleans, not {type(value).__name__}")


def _toml_string(text: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped (Windows paths included)."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
