"""Architecture contracts: the core runs without Qt and torch; only one module knows MediaPipe."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "coach"

QT = {"PySide6", "pyqtgraph", "shiboken6"}
TRAINING_ONLY = {"torch", "onnx", "onnxscript"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def test_qt_is_imported_only_under_coach_ui() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in _modules()
        if "ui" not in p.relative_to(PKG).parts[:1] and _imports(p) & QT
    ]
    assert offenders == []


def test_runtime_never_imports_torch() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in _modules()
        if "training" not in p.relative_to(PKG).parts[:1] and _imports(p) & TRAINING_ONLY
    ]
    assert offenders == []


def test_only_one_module_knows_mediapipe() -> None:
    users = [str(p.relative_to(REPO)) for p in _modules() if "mediapipe" in _imports(p)]
    assert users == ["coach/pose/mediapipe_landmarker.py"]


def test_headless_import_loads_no_qt_or_torch() -> None:
    """Importing the whole headless stack (and parsing the CLI) must not pull Qt or torch in at run time."""
    code = (
        "import sys\n"
        "import coach.cli.main as m\n"
        "import coach.analysis.offline, coach.analysis.report, coach.analysis.frame_table\n"
        "m.build_parser()\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in "
        f"{sorted(QT | TRAINING_ONLY)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
