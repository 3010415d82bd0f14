"""``naspred transfer``: fit a predictor on one task, rank another task's archs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt

PREDICTORS = "xgb,xgb:encoding=graph_features,rf,wl_gp,gp,mlp"
TRAIN_SIZES = "100,1000"
FINETUNE_ARCHS = "10,50"
SEEDS = "0-4"
SOURCE = "nasbench201/cifar10"
TARGETS = "nasbench201/cifar100"
TEST_SIZE = 1000


def transfer(
    source: Annotated[
        str,
        typer.Option("--source", help="The task the predictor is fitted on (one task name)."),
    ] = SOURCE,
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task",
            "-t",
            help="Target task name or pattern, e.g. 'nasbench201/*'; repeatable or a comma "
            "list. Each is paired with --source over the archs both record.",
            show_default=TARGETS,
        ),
    ] = None,
    predictor: Annotated[list[str] | None, opt.predictor_option(default=PREDICTORS)] = None,
    train_sizes: Annotated[
        list[str] | None,
        opt.int_list_option("--train-sizes", "Source training-set sizes", TRAIN_SIZES),
    ] = None,
    finetune_archs: Annotated[
        list[str] | None,
        opt.int_list_option(
            "--finetune-archs",
            "Target archs k for fine-tuning and the target-only baseline",
            FINETUNE_ARCHS,
        ),
    ] = None,
    seeds: Annotated[list[str] | None, opt.seeds_option(SEEDS)] = None,
    test_size: Annotated[
        int,
        typer.Option(
            help="Held-out shared archs per pair and seed (at most half the shared ones).",
            min=1,
        ),
    ] = TEST_SIZE,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    target: opt.Target = None,
    store: Annotated[Path, opt.store_option()] = opt.RESULTS / "transfer" / "store.jsonl",
    out: Annotated[Path, opt.out_option("Output directory for tables and figures.")] = opt.RESULTS
    / "transfer",
    backend: opt.Backend = "serial",
    ray_address: opt.RayAddress = None,
    n_jobs: opt.NJobs = None,
    torch_threads: opt.TorchThreads = 1,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Transfer: fit on --source, rank each target task's held-out archs (--target
    ranks them by another target, e.g. edgegpu_latency): plain, fine-tuned on k target
    archs, and the k target archs alone; resumable.

    The committed tables/transfer/ are made by studies/transfer.py."""
    from naspred.errors import InvalidInputError
    from naspred.experiments.transfer import run_transfer_study, write_transfer_tables

    specs = opt.predictor_specs(predictor or [PREDICTORS])
    opt.check_predictors(specs)  # before loading tasks: a typo fails at once
    sizes = opt.int_list(train_sizes or [TRAIN_SIZES], "--train-sizes", minimum=1)
    ks = opt.int_list(finetune_archs or [FINETUNE_ARCHS], "--finetune-archs", minimum=1)
    seed_list = opt.int_list(seeds or [SEEDS], "--seeds")
    sources = opt.chosen_tasks(
        [source], suite_zero_dir=suite_zero_dir, embedded=None, graf_dir=graf_dir
    )
    if len(sources) != 1:
        names = [t.name for t in sources]
        raise InvalidInputError(f"--source {source!r} matches {len(names)} tasks {names}; name one")
    targets = opt.chosen_tasks(
        task or [TARGETS],
        suite_zero_dir=suite_zero_dir,
        embedded=None,
        graf_dir=graf_dir,
        target=target,
    )
    pairs = [(sources[0], t) for t in targets]
    results = run_transfer_study(
        pairs,
        specs,
        sizes,
        ks,
        seed_list,
        store,
        test_size=test_size,
        progress=progress,
        retry_failed=retry_failed,
        **opt.parallel(backend, n_jobs, ray_address, torch_threads),
    )
    write_transfer_tables(results, out)
    counts = results["status"].value_counts().to_dict()
    typer.echo(f"{len(results)} cells in {store} ({counts}) -> {out}/")
