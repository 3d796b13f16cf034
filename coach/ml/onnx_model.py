"""One onnxruntime session plus the `coach.*` metadata the exporter wrote into the file.

Sessions run on ONE intra-op and ONE inter-op thread with sequential execution: the models are tiny
(well under a millisecond per call), and extra threads would only compete with MediaPipe for the
laptop's cores.

Threads: an `OnnxModel` may be shared; onnxruntime's `run` is thread-safe, but the live wrappers built on
it keep state and belong to the analysis thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from coach.errors import CoachError

__all__ = ["ModelMetadataError", "OnnxModel"]


class ModelMetadataError(CoachError):
    """The ONNX file lacks metadata the runtime needs, or it does not match this version's features."""


@dataclass(frozen=True, slots=True)
class OnnxModel:
    session: ort.InferenceSession
    meta: dict[str, str]
    input_name: str
    path: Path

    @staticmethod
    def load(path: Path) -> OnnxModel:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        meta = dict(session.get_modelmeta().custom_metadata_map)
        return OnnxModel(session, meta, session.get_inputs()[0].name, Path(path))

    def require(self, key: str) -> str:
        try:
            return self.meta[key]
        except KeyError:
            raise ModelMetadataError(f"{self.path}: metadata {key!r} missing") from None

    def json(self, key: str) -> list:
        return json.loads(self.require(key))

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})[0]
