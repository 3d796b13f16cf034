"""`coach export --format html` on a real recorded session: one self-contained file, rendered in headless
Chromium (the Debian package, installed by scripts/setup_env.sh) and checked on the screenshot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import cv2
import pytest
from conftest import SQUAT_SESSION_ATHLETE

from coach.cli import export_cmd
from coach.export import load_session, render_html
from coach.library import Library
from coach.session import verify

pytestmark = pytest.mark.video

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def session(squat_session: Path) -> Path:
    return squat_session


@pytest.fixture(scope="module")
def scored(session: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session with anomaly verdicts for its reps, as the live app records them, and the
    second rep deleted by the coach."""
    d = tmp_path_factory.mktemp("scored") / "goblet"
    shutil.copytree(session, d)
    lines = d.joinpath("events.jsonl").read_text().splitlines()
    reps = [json.loads(x) for x in lines if '"rep_completed"' in x]
    with (d / "events.jsonl").open("a") as fh:
        for k, ev in enumerate(reps):
            score = 2.0 if k == len(reps) - 1 else 0.3 + 0.1 * k
            fh.write(json.dumps({"t": ev["t"], "frame": ev["frame"], "type": "anomaly",
                                 "rep_index": ev["rep"]["index"],
                                 "anomaly": {"score": score, "threshold": 1.0, "top_joints": ["left_knee"],
                                             "phase": "bottom"}}) + "\n")
    with (d / "corrections.jsonl").open("a") as fh:
        fh.write(json.dumps({"op": "delete_rep", "frame": reps[1]["rep"]["end_frame"]}) + "\n")
    return d


def _screenshot(html_file: Path, png: Path, profile: Path) -> None:
    assert CHROMIUM.is_file(), "Chromium is missing: scripts/setup_env.sh installs the Debian package"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,2000",
           html_file.resolve().as_uri()]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)


class _Collect(HTMLParser):
    """Tags, external references and the rep table's body rows of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []
        self.rows_per_table: list[int] = []
        self._in_tbody = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "poster")]
        if tag == "tbody":
            self._in_tbody = True
            self.rows_per_table.append(0)
        elif tag == "tr" and self._in_tbody:
            self.rows_per_table[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_tbody = False


def test_report_renders_in_chromium_and_is_self_contained(session: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib.sqlite3"
    with Library(library) as lib:
        lib.add(session)
    out = tmp_path / "report.html"
    assert export_cmd.main([str(session), "--format", "html", "--out", str(out),
                            "--library", str(library)]) == 0
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"https?://", text, re.IGNORECASE)
    page = _Collect()
    page.feed(text)
    assert page.refs == []  # nothing is loaded from anywhere: no src, no href
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    report = verify(session)
    assert page.rows_per_table[0] == report.reps + report.partial_reps  # the per-rep table
    assert text.count("<polyline") >= 4  # the squat's four overlay joints traced over time
    assert "depth trend" in text  # trends from the library
    # Text from the session is escaped, never markup.
    assert "Test &lt;Athlete&gt; &amp; Co" in text and SQUAT_SESSION_ATHLETE not in text
    with load_session(session) as data:
        from coach.export import written_summary

        first_sentence = written_summary(data).split(".")[0]
    assert first_sentence and first_sentence in text

    png = tmp_path / "report.png"
    _screenshot(out, png, tmp_path / "profile")
    image = cv2.imread(str(png))
    assert image is not None and image.shape[:2] == (2000, 1280)
    assert float(image.var()) > 200.0  # text, tables and plots, not a blank page
    # The plot area has colour: the traces were drawn, not only black text on white.
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    assert (hsv[..., 1] > 80).mean() > 0.002


def test_anomaly_bars_and_corrections_show_in_the_report(scored: Path, tmp_path: Path) -> None:
    with load_session(scored) as data:
        text = render_html(data, library=tmp_path / "none.sqlite3")
        reps = data.reps
    assert not (tmp_path / "none.sqlite3").exists()  # a report never creates a library
    assert "No session library yet" in text
    assert "Anomaly score per rep" in text and "threshold 1.00" in text
    assert len(re.findall(r'<rect[^>]*fill="#d62728"', text)) == 1  # the one rep above the threshold: red
    assert "unusual" in text and "recorded as" in text  # renumbered after the deletion: both numbers
    page = _Collect()
    page.feed(text)
    assert page.rows_per_table[0] == len(reps) == verify(scored).reps
