"""An on-disk cache of raw pose tracks, so re-analysing a clip (evaluation, replay) skips MediaPipe.

Keyed by the video's content and the model's content (sha256 prefixes), so an edited clip or another model
never reads stale poses. Files are written atomically; a corrupt file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from coach.analysis.track import PoseTrack

log = logging.getLogger(__name__)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def cache_file(cache_dir: Path, video: Path, model: Path) -> Path:
    return cache_dir / f"{video.stem[:60]}-{_digest(video)}-{_digest(model)}.npz"


def load_track(cache_dir: Path, video: Path, model: Path) -> tuple[PoseTrack, float] | None:
    """(raw track, fps) from the cache, or None when absent or unreadable."""
    path = cache_file(cache_dir, video, model)
    if not path.is_file():
        return None
    try:
        with np.load(path) as z:
            track = PoseTrack(
                frame_index=z["frame_index"],
                media_ts=z["media_ts"],
                landmarks=z["landmarks"],
                world=z["world"],
                image_size=(int(z["width"]), int(z["height"])),
            )
            return track, float(z["fps"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable pose cache %s: %s", path, exc)
        return None


def save_track(cache_dir: Path, video: Path, model: Path, track: PoseTrack, fps: float) -> Path:
    path = cache_file(cache_dir, video, model)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp.npz")
    os.close(fd)
    try:
        np.savez_compressed(
            tmp,
            frame_index=track.frame_index,
            media_ts=track.media_ts,
            landmarks=track.landmarks,
            world=track.world,
            width=track.image_size[0],
            height=track.image_size[1],
            fps=fps,
        )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
