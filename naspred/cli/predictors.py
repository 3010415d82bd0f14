"""``naspred predictors``: predictor quality and cost against training-set size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt

TRAIN_SIZES = "10,20,50,100,200,500,1000"
SEEDS = "0-4"
TEST_SIZE = 1000


def predictors(
    task: opt.TaskNames = None,
    predictor: Annotated[
        list[str] | None, opt.predictor_option(default="every model-based predictor")
    ] = None,
    train_sizes: Annotated[
        list[str] | None, opt.int_list_option("--train-sizes", "Training-set sizes", TRAIN_SIZES)
    ] = None,
    seeds: Annotated[list[str] | None, opt.seeds_option(SEEDS)] = None,
    test_size: Annotated[
        int | None,
        typer.Option(
            help="Held-out archs per task and seed.",
            min=1,
            show_default=f"{TEST_SIZE} (or the --preset's)",
        ),
    ] = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    cells: opt.Cells = None,
    target: opt.Target = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="A published evaluation's protocol, setting --cells, --target, --test-size "
            "and, unless given, --train-sizes and --seeds: naslib-predictors (White et al., "
            "NeurIPS 2021: all cells, val_accuracy, 200 test archs, sizes 5-1000, seeds "
            "0-99); see the README.",
            show_default="none",
        ),
    ] = None,
    embedded: opt.Embedded = None,
    curves: opt.CurveFiles = None,
    all_tasks: Annotated[
        bool,
        typer.Option(
            "--all-tasks",
            help="Every task this installation has (embedded, Suite-Zero, GRAF, --curves; "
            "a Suite-Zero or GRAF copy fetched with `naspred data fetch` when no directory "
            "is given), plus each --extra-targets target; writes the cross-task rank "
            "summary (summary.md) beside the per-task tables (tasks/).",
        ),
    ] = False,
    extra_targets: Annotated[
        list[str] | None,
        typer.Option(
            "--extra-targets",
            help="With --all-tasks: targets ranked by besides val_accuracy, each on every "
            "whole-benchmark task that has it; repeatable or a comma list ('' for none).",
            show_default="edgegpu_latency,pgd@Linf_eps-1.0",
        ),
    ] = None,
    store: Annotated[Path, opt.store_option()] = opt.RESULTS / "predictors" / "store.jsonl",
    out: Annotated[Path, opt.out_option("Output directory for tables and figures.")] = opt.RESULTS
    / "predictors",
    backend: opt.Backend = "serial",
    ray_address: opt.RayAddress = None,
    n_jobs: opt.NJobs = None,
    torch_threads: opt.TorchThreads = 1,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Predictor quality (Kendall, Spearman, MAE, ...) and fit/query time against
    training-set size; resumable.

    The committed tables/predictors/ are made by studies/predictors.py, and
    tables/predictors/multitask/ (--all-tasks) by studies/multitask.py."""
    from naspred.experiments.predictors import (
        run_predictor_study,
        write_multitask_tables,
        write_predictor_tables,
    )
    from naspred.predictors import model_based_predictors

    _check_all_tasks(all_tasks, extra_targets, task, target, cells, preset, embedded)

    cells, target, _ = opt.apply_preset(preset, cells, target, None, study="predictors")
    specs = opt.predictor_specs(predictor or model_based_predictors())
    opt.check_predictors(specs)  # before loading tasks: a typo fails at once
    test_size, sizes, seed_list = opt.apply_predictor_preset(
        preset,
        test_size,
        opt.int_list(train_sizes, "--train-sizes", minimum=1),
        opt.int_list(seeds, "--seeds"),
        TEST_SIZE,
    )
    sizes = sizes or opt.int_list([TRAIN_SIZES], "--train-sizes", minimum=1)
    seed_list = seed_list or opt.int_list([SEEDS], "--seeds")
    if all_tasks:
        from naspred.benchmarks import ALL_TASK_TARGETS
        from naspred.benchmarks import all_tasks as every_task

        targets = ALL_TASK_TARGETS if extra_targets is None else opt.split_list(extra_targets)
        chosen = every_task(
            suite_zero=suite_zero_dir, graf=graf_dir, curves=curves or (), targets=targets
        )
    else:
        chosen = opt.chosen_tasks(
            task,
            suite_zero_dir=suite_zero_dir,
            embedded=embedded,
            curves=curves,
            graf_dir=graf_dir,
            target=target,
            cells=cells,
            preset=preset,
        )
    results = run_predictor_study(
        chosen,
        specs,
        sizes,
        seed_list,
        store,
        test_size=test_size,
        progress=progress,
        retry_failed=retry_failed,
        **opt.parallel(backend, n_jobs, ray_address, torch_threads),
    )
    if all_tasks:
        write_multitask_tables(results, out, archs={t.name: len(t) for t in chosen})
    else:
        write_predictor_tables(results, out)
    counts = results["status"].value_counts().to_dict()
    typer.echo(f"{len(results)} cells in {store} ({counts}) -> {out}/")


def _check_all_tasks(
    all_tasks: bool,
    extra_targets: list[str] | None,
    task: list[str] | None,
    target: str | None,
    cells: str | None,
    preset: str | None,
    embedded: bool | None,
) -> None:
    """--all-tasks chooses the tasks by itself: the options that choose them otherwise
    contradict it, and --extra-targets means nothing without it."""
    from naspred.errors import InvalidInputError

    if not all_tasks:
        if extra_targets is not None:
            raise InvalidInputError("--extra-targets goes with --all-tasks; add --all-tasks")
        return
    given = [
        name
        for name, value in (
            ("-t/--task", task),
            ("--target", target),
            ("--cells", cells),
            ("--preset", preset),
            ("--embedded/--no-embedded", embedded),
        )
        if value is not None
    ]
    if given:
        raise InvalidInputError(
            f"--all-tasks chooses every task itself; drop {', '.join(given)} (or drop "
            "--all-tasks and choose the tasks with -t)"
        )
