"""``naspred correlations``: the zero-cost proxy correlation study."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from naspred.cli import options as opt

if TYPE_CHECKING:  # importing naspred.benchmarks loads numpy and pandas: not for --help
    from naspred.benchmarks.task import Task


def correlations(
    task: opt.TaskNames = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    target: opt.Target = None,
    embedded: opt.Embedded = None,
    out: Annotated[
        Path | None,
        opt.out_option(
            "Output directory.",
            default="results/correlations/<embedded|suite_zero|graf|all>[@<target>]",
        ),
    ] = None,
    cells: opt.Cells = None,
    failed_as_worst: opt.FailedAsWorst = None,
    preset: opt.Preset = None,
    progress: opt.Progress = True,
    verbose: opt.Verbose = False,
) -> None:
    """Spearman/Kendall of every stored proxy per task, mean ranks, and cross-proxy
    heatmaps, written as markdown + CSV + PNG."""
    from naspred.experiments import run_correlation_study

    cells, target, failed_as_worst = opt.apply_preset(preset, cells, target, failed_as_worst)
    chosen = opt.chosen_tasks(
        task,
        suite_zero_dir=suite_zero_dir,
        embedded=embedded,
        graf_dir=graf_dir,
        target=target,
        cells=cells,
        preset=preset,
    )
    if out is None:
        out = default_out(suite_zero_dir, embedded, chosen, graf_dir, target)
    study = run_correlation_study(chosen, out, progress=progress, failed_as_worst=failed_as_worst)
    typer.echo(f"{len(chosen)} task(s), {len(study.table)} (task, proxy) pairs -> {out}/")
    if not study.ranks.empty:
        from naspred.reports.tables import format_table

        typer.echo(format_table(study.ranks, ".3f", index=False))


def default_out(
    suite_zero_dir: Path | None,
    embedded: bool | None,
    tasks: Sequence[Task] = (),
    graf_dir: Path | None = None,
    target: str | None = None,
) -> Path:
    """``results/correlations/<embedded|suite_zero|graf|all>[@<target>]``, by the sources
    chosen (the layout of the committed ``tables/correlations/``, which studies/ scripts
    write) and the target, so that a study of another target has tables of its own.

    Args:
        suite_zero_dir: the ``--suite-zero-dir`` given, if any.
        embedded: ``--embedded/--no-embedded``.
        tasks: the tasks chosen; without a given directory, those that task names
            matched in a fetched Suite-Zero count as Suite-Zero tasks.
        graf_dir: the ``--graf-dir`` given, if any.
        target: the ``--target`` given, if any.
    """
    from naspred.benchmarks.graf import VARIANT
    from naspred.benchmarks.graf import graf_dir as resolve_graf
    from naspred.benchmarks.suite_zero import fetched_suite_zero_dir
    from naspred.benchmarks.suite_zero import suite_zero_dir as resolve_dir

    with_sz = resolve_dir(suite_zero_dir) is not None
    with_graf = resolve_graf(graf_dir) is not None
    with_embedded = embedded or (embedded is None and not with_sz and not with_graf)
    fetched = fetched_suite_zero_dir() if tasks and not with_sz else None
    if fetched is not None:
        from_fetched = [Path(t.source).parent == fetched for t in tasks]
        with_sz = any(from_fetched)
        with_embedded = any(
            not f and t.variant != VARIANT for f, t in zip(from_fetched, tasks, strict=True)
        )
    chosen = [k for k, on in (("suite_zero", with_sz), ("graf", with_graf)) if on]
    if with_embedded:
        kind = "all" if chosen else "embedded"
    else:
        kind = chosen[0] if len(chosen) == 1 else "all"
    kind = f"{kind}@{target}" if target else kind
    return opt.RESULTS / "correlations" / kind
