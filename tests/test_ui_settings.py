"""Settings file, formatting and ring buffer: the parts of the live window that need no Qt event loop."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from coach.settings import AppSettings, config_dir, load_settings, save_settings, settings_path
from coach.ui.formatting import DASH, activity_text, format_number, gait_value, rep_anomaly, rep_metric_rows
from coach.ui.ring_buffer import RingBuffer


def test_settings_round_trip_with_awkward_path(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "settings.toml"
    original = AppSettings(source='C:\\videos\\my "best" set.mp4', exercise="deadlift", mirror=False,
                           muted=True, speak_counts=False)
    save_settings(original, path)
    assert tomllib.loads(path.read_text())["source"] == original.source  # valid TOML, not just ours
    assert load_settings(path) == original


def test_missing_or_broken_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml") == AppSettings()
    broken = tmp_path / "broken.toml"
    broken.write_text("source = [unclosed\n")
    assert load_settings(broken) == AppSettings()
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('source = 3\nexercise = "yoga"\nmirror = "yes"\nmuted = true\nfuture_key = 1\n')
    s = load_settings(wrong)
    assert (s.source, s.exercise, s.mirror, s.muted) == ("0", "auto", True, True)


def test_feedback_settings_round_trip_and_old_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    s = AppSettings(feedback_gpt=True, feedback_base_url="http://127.0.0.1:11434/v1", feedback_model="m")
    save_settings(s, path)
    assert load_settings(path) == s
    old = tmp_path / "old.toml"  # written before the feedback keys existed
    old.write_text('source = "1"\nexercise = "squat"\nmirror = false\nmuted = true\nspeak_counts = false\n')
    loaded = load_settings(old)
    assert (loaded.source, loaded.exercise, loaded.mirror, loaded.muted) == ("1", "squat", False, True)
    assert (loaded.feedback_gpt, loaded.feedback_base_url, loaded.feedback_model) == (False, "", "")


def test_a_secret_in_the_base_url_is_never_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-live-0123456789abcdef"
    for url in (f"https://user:{secret}@api.example.com/v1", f"https://api.example.com/v1?key={secret}"):
        with pytest.raises(ValueError) as exc_info:
            AppSettings(feedback_base_url=url)
        assert secret not in str(exc_info.value)
        s = AppSettings()
        s.feedback_base_url = url  # assigned after construction: save still refuses, and writes nothing
        with pytest.raises(ValueError):
            save_settings(s, tmp_path / "refused.toml")
        assert not (tmp_path / "refused.toml").exists()
        edited = tmp_path / "edited.toml"  # put into the file by hand: ignored on load, not logged
        edited.write_text(f'feedback_gpt = true\nfeedback_base_url = "{url}"\n')
        loaded = load_settings(edited)
        assert loaded.feedback_base_url == "" and loaded.feedback_gpt
    assert "credentials" in caplog.text and secret not in caplog.text  # said why, without the secret
    with pytest.raises(ValueError):
        AppSettings(feedback_base_url="ftp://example.com")


def test_config_dir_env_override(tmp_path: Path) -> None:
    env = {"COACH_CONFIG_DIR": str(tmp_path)}
    assert config_dir(env) == tmp_path
    assert settings_path(env) == tmp_path / "settings.toml"
    assert config_dir({}).name == "coach"


def test_unknown_exercise_is_rejected() -> None:
    with pytest.raises(ValueError):
        AppSettings(exercise="yoga")


def test_missing_values_read_as_a_dash_never_zero() -> None:
    assert format_number(None) == DASH
    assert format_number(math.nan, "s") == DASH
    assert format_number(2.04, "s", 1) == "2.0 s"
    assert format_number(12.6, "%", 0) == "13%"
    rows = dict(rep_metric_rows({"metrics": {"duration_s": 2.0, "depth": math.nan}}))
    assert rows["Duration"] == "2.0 s" and rows["Depth"] == DASH and rows["Eccentric"] == DASH
    assert rep_anomaly({"index": 1, "metrics": {}}) is None  # no model yet: no invented score
    assert rep_anomaly({"index": 1, "anomaly": {"score": 0.7}}) == 0.7
    assert gait_value({"cadence_spm": None, "cadence": 172.0}, ("cadence_spm", "cadence")) == 172.0
    assert activity_text(None, None) == "detecting…"
    assert activity_text("jumping_jack", 0.914) == "Jumping jack (91%)"


def test_ring_buffer_keeps_the_newest_in_order_without_copies() -> None:
    buf = RingBuffer(4)
    buf.extend(np.arange(3.0), np.arange(3.0) * 10)
    x, y = buf.view()
    assert x.tolist() == [0, 1, 2] and y.tolist() == [0, 10, 20]
    buf.extend(np.arange(3.0, 10.0), np.arange(3.0, 10.0) * 10)
    x, y = buf.view()
    assert x.tolist() == [6, 7, 8, 9] and y.tolist() == [60, 70, 80, 90]
    assert x.base is not None  # a view into the preallocated storage
    assert buf.last_x() == 9.0 and len(buf) == 4
    buf.clear()
    assert len(buf) == 0 and buf.last_x() is None


def test_the_athlete_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(AppSettings(athlete='Zoë "Z" O\'Neil'), path)
    assert load_settings(path).athlete == 'Zoë "Z" O\'Neil'
    assert load_settings(tmp_path / "missing.toml").athlete == ""
