"""``naspred tasks``: what the installed sources provide."""

from __future__ import annotations

import typer

from naspred.cli import options as opt
from naspred.errors import InvalidInputError


def tasks(
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    embedded: opt.Embedded = None,
    curves: opt.CurveFiles = None,
    verbose: opt.Verbose = False,
) -> None:
    """List every task the installed sources provide, with sizes and metrics."""
    from naspred.benchmarks import describe_tasks

    table = describe_tasks(
        suite_zero=suite_zero_dir, embedded=embedded, curves=curves or (), graf=graf_dir
    )
    if table.empty:
        raise InvalidInputError(
            "no task source: with --no-embedded give --suite-zero-dir DIR, --graf-dir DIR "
            "or --curves FILE"
        )
    table = table.drop(columns=["source"])
    typer.echo(table.to_markdown(index=False))
