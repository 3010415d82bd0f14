"""``naspred tradeoff``: initialisation vs query budget on tasks with learning curves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt
from naspred.errors import InvalidInputError

TRAIN_SIZES = "10,30,100,300"
SEEDS = "0-2"


def tradeoff(
    task: opt.TaskNames = None,
    predictor: Annotated[
        list[str] | None,
        opt.predictor_option(
            default="naspred.experiments.tradeoff.DEFAULT_PREDICTORS",
            example="'omni:n_estimators=200'",
        ),
    ] = None,
    train_sizes: Annotated[
        list[str] | None, opt.int_list_option("--train-sizes", "Training-set sizes", TRAIN_SIZES)
    ] = None,
    query_epochs: Annotated[
        list[str] | None,
        opt.int_list_option(
            "--query-epochs", "Epochs of partial curve at query", "1,2,4,8,... < epochs"
        ),
    ] = None,
    seeds: Annotated[list[str] | None, opt.seeds_option(SEEDS)] = None,
    test_size: Annotated[
        int | None,
        typer.Option(
            help="Held-out archs per seed.", show_default="200, or half a smaller task's", min=1
        ),
    ] = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    cells: opt.Cells = None,
    target: opt.Target = None,
    embedded: opt.Embedded = None,
    curves: opt.CurveFiles = None,
    store: Annotated[Path, opt.store_option()] = opt.RESULTS / "tradeoff" / "store.jsonl",
    out: Annotated[
        Path,
        opt.out_option(
            "Output directory for tables and figures (a sub-directory per task "
            "when there are several)."
        ),
    ] = opt.RESULTS / "tradeoff",
    backend: opt.Backend = "serial",
    ray_address: opt.RayAddress = None,
    n_jobs: opt.NJobs = None,
    torch_threads: opt.TorchThreads = 1,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Initialisation vs query budget: the best predictor (Kendall tau) per budget cell
    on each task with learning curves and epoch times; resumable.

    The committed tables/tradeoff/ are made by studies/tradeoff.py."""
    from naspred.experiments.tradeoff import (
        DEFAULT_PREDICTORS,
        run_tradeoff_study,
        write_tradeoff_tables,
    )

    specs = opt.predictor_specs(predictor or DEFAULT_PREDICTORS)
    opt.check_predictors(specs)  # before loading tasks: a typo fails at once
    sizes = opt.int_list(train_sizes or [TRAIN_SIZES], "--train-sizes", minimum=1)
    epochs = opt.int_list(query_epochs, "--query-epochs", minimum=1) or None
    seed_list = opt.int_list(seeds or [SEEDS], "--seeds")
    found = opt.chosen_tasks(
        task,
        suite_zero_dir=suite_zero_dir,
        embedded=embedded,
        curves=curves,
        graf_dir=graf_dir,
        target=target,
        cells=cells,
    )
    chosen = [t for t in found if "epoch_time" in t.curves]
    if not chosen:
        raise InvalidInputError("no chosen task has learning curves with epoch times")
    for one in chosen:
        where = out if len(chosen) == 1 else out / one.name.replace("/", "__")
        results = run_tradeoff_study(
            one,
            specs,
            store,
            train_sizes=sizes,
            query_epochs=epochs,
            seeds=seed_list,
            test_size=test_size,
            progress=progress,
            retry_failed=retry_failed,
            **opt.parallel(backend, n_jobs, ray_address, torch_threads),
        )
        write_tradeoff_tables(one, results, where)
        counts = results["status"].value_counts().to_dict()
        typer.echo(f"{one.name}: {len(results)} units in {store} ({counts}) -> {where}/")
