"""``naspred correlations``: the zero-cost proxy correlation study."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt


def correlations(
    task: opt.TaskNames = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    embedded: opt.Embedded = None,
    out: Annotated[
        Path | None,
        opt.out_option(
            "Output directory.", default="results/correlations/<embedded|suite_zero|all>"
        ),
    ] = None,
    failed_as_worst: opt.FailedAsWorst = False,
    progress: opt.Progress = True,
    verbose: opt.Verbose = False,
) -> None:
    """Spearman/Kendall of every stored proxy per task, mean ranks, and cross-proxy
    heatmaps, written as markdown + CSV + PNG."""
    from naspred.benchmarks import load_tasks
    from naspred.experiments import run_correlation_study

    chosen = load_tasks(opt.split_list(task), suite_zero=suite_zero_dir, embedded=embedded)
    if out is None:
        out = default_out(suite_zero_dir, embedded)
    study = run_correlation_study(chosen, out, progress=progress, failed_as_worst=failed_as_worst)
    typer.echo(f"{len(chosen)} task(s), {len(study.table)} (task, proxy) pairs -> {out}/")
    if not study.ranks.empty:
        from naspred.reports.tables import format_table

        typer.echo(format_table(study.ranks, ".3f", index=False))


def default_out(suite_zero_dir: Path | None, embedded: bool | None) -> Path:
    """``results/correlations/<embedded|suite_zero|all>``, by the sources chosen (the
    layout of the committed ``tables/correlations/``, which studies/ scripts write)."""
    from naspred.benchmarks.suite_zero import suite_zero_dir as resolve_dir

    with_sz = resolve_dir(suite_zero_dir) is not None
    with_embedded = embedded or (embedded is None and not with_sz)
    kind = "all" if with_sz and with_embedded else "suite_zero" if with_sz else "embedded"
    return opt.RESULTS / "correlations" / kind
