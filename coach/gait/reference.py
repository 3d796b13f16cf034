"""Reference gait profiles: mean and spread of time-normalised joint-angle cycles, saved as JSON.

A profile is either shipped (``assets/gait/running_reference.json``, built from published normative running
kinematics, see that file's ``source``) or made from a user's own session ("my best run") with
`ReferenceProfile.from_cycles` and `save`. Joint names and angle conventions are those of
`coach.gait.features`: "hip_flexion", "knee_flexion", "ankle_dorsiflexion" (degrees).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coach.assets import asset_path
from coach.gait.compare import CYCLE_SAMPLES

log = logging.getLogger(__name__)

SCHEMA = 1
JOINTS: tuple[str, ...] = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")
# A spread below this would turn tiny, unmeasurable differences into huge z-scores.
MIN_SD_DEG = 2.0


@dataclass(frozen=True, slots=True)
class ReferenceProfile:
    """Mean and SD curves (`CYCLE_SAMPLES` points, 0-100 % of the cycle from initial contact) per joint."""

    name: str
    toe_off_pct: float
    mean: dict[str, np.ndarray]
    sd: dict[str, np.ndarray]
    source: str = ""
    cycles: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.mean) != set(self.sd):
            raise ValueError("mean and sd must cover the same joints")
        for j in self.mean:
            if self.mean[j].shape != (CYCLE_SAMPLES,) or self.sd[j].shape != (CYCLE_SAMPLES,):
                raise ValueError(f"{j}: curves must have {CYCLE_SAMPLES} samples")
        if not 0 < self.toe_off_pct < 100:
            raise ValueError("toe_off_pct must be inside the cycle")

    @staticmethod
    def from_cycles(
        name: str, curves: dict[str, np.ndarray], toe_off_pct: float, *, source: str = "own session"
    ) -> ReferenceProfile:
        """A profile from a session's cycles: `curves[joint]` is (n_cycles, CYCLE_SAMPLES)."""
        mean: dict[str, np.ndarray] = {}
        sd: dict[str, np.ndarray] = {}
        counts = []
        for joint, c in curves.items():
            c = np.asarray(c, dtype=np.float64)
            c = c[np.isfinite(c).all(axis=1)]
            if len(c) == 0:
                continue
            counts.append(len(c))
            mean[joint] = c.mean(axis=0)
            sd[joint] = np.maximum(c.std(axis=0, ddof=1) if len(c) > 1 else 0.0, MIN_SD_DEG)
        if not mean:
            raise ValueError("no complete cycle to build a reference from")
        return ReferenceProfile(name, float(toe_off_pct), mean, sd, source=source, cycles=min(counts))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "name": self.name,
            "source": self.source,
            "cycles": self.cycles,
            "toe_off_pct": round(self.toe_off_pct, 2),
            "joints": {
                j: {"mean": np.round(self.mean[j], 2).tolist(), "sd": np.round(self.sd[j], 2).tolist()}
                for j in self.mean
            },
            **self.extra,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))
        log.info("saved gait reference %r to %s", self.name, path)

    @staticmethod
    def load(path: Path) -> ReferenceProfile:
        data = json.loads(Path(path).read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: unsupported reference schema {data.get('schema')!r}")
        joints = data["joints"]
        known = {"schema", "name", "source", "cycles", "toe_off_pct", "joints"}
        return ReferenceProfile(
            name=str(data["name"]),
            toe_off_pct=float(data["toe_off_pct"]),
            mean={j: np.asarray(v["mean"], dtype=np.float64) for j, v in joints.items()},
            sd={j: np.asarray(v["sd"], dtype=np.float64) for j, v in joints.items()},
            source=str(data.get("source", "")),
            cycles=int(data.get("cycles", 0)),
            extra={k: v for k, v in data.items() if k not in known},
        )


def default_reference(activity: str = "running") -> ReferenceProfile | None:
    """The shipped profile for `activity`, or None when there is none (walking has none yet)."""
    path = asset_path("gait", f"{activity}_reference.json")
    if not path.is_file():
        log.debug("no shipped gait reference at %s", path)
        return None
    return ReferenceProfile.load(path)


def curve_from_keypoints(points: list[tuple[float, float]], smooth_pct: float = 4.0) -> np.ndarray:
    """A periodic `CYCLE_SAMPLES` curve through (percent, value) key points, lightly smoothed.

    Periodic linear interpolation, then a circular Gaussian of `smooth_pct` % SD rounds the corners the
    way real joint-angle curves are round. Used to build the shipped profile from published key values.
    """
    pct = np.array([p for p, _ in points], dtype=np.float64)
    val = np.array([v for _, v in points], dtype=np.float64)
    grid = np.arange(1000) / 10.0
    dense = np.interp(grid, np.r_[pct - 100, pct, pct + 100], np.r_[val, val, val])
    k = np.arange(-500, 500) / 10.0
    kernel = np.exp(-0.5 * (k / smooth_pct) ** 2)
    kernel /= kernel.sum()
    smooth = np.real(np.fft.ifft(np.fft.fft(dense) * np.fft.fft(np.fft.ifftshift(kernel))))
    return np.interp(np.linspace(0, 100, CYCLE_SAMPLES), np.r_[grid, 100.0], np.r_[smooth, smooth[0]])
