"""``naspred tasks``: what the installed sources provide."""

from __future__ import annotations

import typer

from naspred.cli import options as opt


def tasks(
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    embedded: opt.Embedded = None,
    curves: opt.CurveFiles = None,
    verbose: opt.Verbose = False,
) -> None:
    """List every task the installed sources provide, with sizes and metrics."""
    from naspred.benchmarks import load_tasks, task_table

    found = load_tasks(
        suite_zero=suite_zero_dir, embedded=embedded, curves=curves or (), graf=graf_dir
    )
    table = task_table(found).drop(columns=["source"])
    typer.echo(table.to_markdown(index=False))
