"""``naspred analyse``: what each proxy measures (NAS-Bench-Suite-Zero's analyses)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt


def analyse(
    task: opt.TaskNames = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    embedded: opt.Embedded = None,
    cells: opt.Cells = None,
    target: opt.Target = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A `naspred compare` output directory (or its scores.journal.jsonl): "
            "analyse its proxy beside the baselines on the archs it compared, instead of "
            "loading tasks (-t then filters its tasks by name).",
            show_default="none",
        ),
    ] = None,
    proxy: Annotated[
        list[str] | None, opt.proxy_option("Proxies to analyse", "every proxy a task holds")
    ] = None,
    bins: Annotated[
        int | None,
        typer.Option(
            "--bins",
            min=2,
            help="Equal-frequency bins per variable for the mutual information.",
            show_default="floor((n/5)^(1/3)) of the fewest archs a cell uses",
        ),
    ] = None,
    seed: Annotated[int, opt.seed_option("Seeds the shuffled-accuracy reference.")] = 0,
    out: Annotated[
        Path | None,
        opt.out_option(
            "Output directory.",
            default="results/analyses/<embedded|suite_zero|graf|all|compare-<dir>>[@<target>]",
        ),
    ] = None,
    progress: opt.Progress = True,
    verbose: opt.Verbose = False,
) -> None:
    """Bias (each proxy's Spearman with params, FLOPs, op counts, depth and width),
    mutual information of accuracy with each proxy and each pair, and proxies with
    params/FLOPs regressed out, per task, as markdown + CSV + PNG."""
    from naspred.experiments.analyses import load_compare_tasks, run_analyses

    if compare is not None:
        import fnmatch

        from naspred.errors import UnknownTaskError

        chosen = load_compare_tasks(compare)
        patterns = opt.split_list(task)
        if patterns:
            chosen = [t for t in chosen if any(fnmatch.fnmatch(t.name, p) for p in patterns)]
            if not chosen:
                raise UnknownTaskError(
                    f"no task of {compare} matches {', '.join(patterns)}; it holds "
                    + ", ".join(t.name for t in load_compare_tasks(compare))
                )
        where = compare if compare.is_dir() else compare.parent
        default = opt.RESULTS / "analyses" / f"compare-{where.resolve().name}"
    else:
        from naspred.cli.correlations import default_out

        chosen = opt.chosen_tasks(
            task,
            suite_zero_dir=suite_zero_dir,
            embedded=embedded,
            graf_dir=graf_dir,
            target=target,
            cells=cells,
        )
        # the correlation study's layout, under analyses/
        kind = default_out(suite_zero_dir, embedded, chosen, graf_dir, target).name
        default = opt.RESULTS / "analyses" / kind
    out = out or default
    study = run_analyses(
        chosen, out, proxies=opt.split_list(proxy) or None, bins=bins, seed=seed, progress=progress
    )
    typer.echo(f"{len(chosen)} task(s) -> {out}/")
    for name, info in study.information.items():
        singles = info.mi.to_numpy().diagonal()
        best = info.mi.index[int(singles.argmax())] if len(singles) else "-"
        typer.echo(f"  {name}: {info.bins} bins; most information alone: {best}")
