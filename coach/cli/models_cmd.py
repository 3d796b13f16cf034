"""`coach models`: show where the pose landmarker bundles come from, and fetch them into the cache.

    coach models list  [--cache-dir DIR]
    coach models fetch [--variant lite|full|heavy] [--from PATH] [--cache-dir DIR]

`--cache-dir DIR` is coach's cache root, the same as the `COACH_CACHE_DIR` environment variable: models live
in `DIR/models`. Without either, the platform's user cache directory is used (see
`coach.pose.model_store`). `coach models` with no sub-command is `coach models list`.
Errors are raised as `coach.errors.ModelError`; `coach.cli.main` prints them and exits with status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coach.pose.model_store import DEFAULT_VARIANT, ENV_CACHE_DIR, ENV_POSE_MODEL, VARIANTS, ModelStore


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the `models` command (sub-commands `list` and `fetch`) to the root parser's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"coach's cache root; models live in DIR/models (default: ${ENV_CACHE_DIR}, else user cache)",
    )

    parser = subparsers.add_parser(
        "models",
        help="list or fetch the pose model bundles",
        description="Show which pose landmarker bundle each variant resolves to, and fetch them into the "
        f"cache. ${ENV_POSE_MODEL} (a .task file or a directory of them) and --pose-model take precedence "
        "over the cache.",
    )
    parser.set_defaults(func=run)
    commands = parser.add_subparsers(dest="models_command", metavar="{list,fetch}")

    commands.add_parser(
        "list", parents=[common], help="show each variant: present, verified, where it comes from"
    )

    fetch = commands.add_parser(
        "fetch",
        parents=[common],
        help="put a verified bundle into the cache (download, or copy a local file with --from)",
    )
    fetch.add_argument(
        "--variant", choices=list(VARIANTS), default=DEFAULT_VARIANT, help=f"default: {DEFAULT_VARIANT}"
    )
    fetch.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="PATH",
        help="copy this local .task file into the cache instead of downloading (sha256 must be known-good)",
    )


def run(args: argparse.Namespace) -> int:
    """Run `coach models ...`; returns the exit status. ModelError propagates to the CLI's main."""
    cache_root: Path | None = getattr(args, "cache_dir", None)
    store = ModelStore(cache_dir=cache_root / "models" if cache_root is not None else None)
    command = getattr(args, "models_command", None) or "list"
    if command == "fetch":
        path = store.fetch(args.variant, source=args.source)
        print(f"{args.variant}: {path}")
        return 0
    print(_format_list(store))
    return 0


def _format_list(store: ModelStore) -> str:
    lines = [f"cache: {store.cache_dir}"]
    env_path = store.env_pose_model
    if env_path is None:
        lines.append(f"{ENV_POSE_MODEL}: not set")
    elif env_path.is_dir():
        lines.append(
            f"{ENV_POSE_MODEL}: {env_path} (directory: its pose_landmarker_<variant>.task files win)"
        )
    elif env_path.exists():
        lines.append(
            f"{ENV_POSE_MODEL}: {env_path} (file: used when no variant is named; "
            f"a named variant uses the rows below)"
        )
    else:
        lines.append(f"{ENV_POSE_MODEL}: {env_path} (DOES NOT EXIST: resolving a model will fail)")
    lines.append(f"default variant: {DEFAULT_VARIANT}")
    lines.append("")

    header = ("variant", "present", "verified", "source", "path")
    rows = [header]
    notes = []
    for status in store.status():
        verified = "not checked" if status.verified is None else ("yes" if status.verified else "no")
        present = "yes" if status.present else "no"
        rows.append(
            (status.variant, present, verified if status.present else "-", status.source, str(status.path))
        )
        notes.append(f"  {status.variant}: {status.detail}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    lines.append("")
    lines.extend(notes)
    return "\n".join(lines)
