"""What the ``naspred`` sub-commands share: option types, logging set-up, errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, NoReturn

import typer

SuiteZeroDir = Annotated[
    Path | None,
    typer.Option(
        "--suite-zero-dir",
        envvar="NASPRED_SUITE_ZERO_DIR",
        help="Directory of NAS-Bench-Suite-Zero zc_<space>.json records (ground truth).",
    ),
]
Embedded = Annotated[
    bool | None,
    typer.Option(
        "--embedded/--no-embedded",
        help="Include the embedded NAS-Bench-Graph and AnalogNAS-Bench tasks "
        "[default: only when no Suite-Zero directory is given].",
        show_default=False,
    ),
]
CurveFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--curves",
        help="Learning-curve file, one task each: naspred's own (.jsonl, from "
        "make-benchmark) or NASLib's nb201_<dataset>_full_training.pickle; repeatable.",
    ),
]
TaskNames = Annotated[
    list[str] | None,
    typer.Option("--task", "-t", help="Task name or pattern, e.g. 'nasbench201/*'; repeatable."),
]

Progress = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show progress bars on stderr.")
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log at INFO level: what is loaded and skipped.")
]


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def fail(err: Exception) -> NoReturn:
    """Print ``err`` in red and exit with status 2 (bad input, not a crash)."""
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2) from err
