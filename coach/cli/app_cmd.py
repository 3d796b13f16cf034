"""`coach app` (also `coach` with no sub-command): open the desktop app."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help="open the desktop app (the default without a sub-command)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that headless sub-commands never load Qt.
    from coach.ui.app import run_app

    return run_app()
