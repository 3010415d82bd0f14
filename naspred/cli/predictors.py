"""``naspred predictors``: predictor quality and cost against training-set size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli.options import (
    RESULTS,
    CurveFiles,
    Embedded,
    Progress,
    RetryFailed,
    SuiteZeroDir,
    TaskNames,
    Verbose,
    check_predictors,
    int_list,
    int_list_option,
    out_option,
    predictor_option,
    predictor_specs,
    seeds_option,
    split_list,
    store_option,
)

TRAIN_SIZES = "10,20,50,100,200,500,1000"
SEEDS = "0-4"


def predictors(
    task: TaskNames = None,
    predictor: Annotated[
        list[str] | None, predictor_option(default="every model-based predictor")
    ] = None,
    train_sizes: Annotated[
        list[str] | None, int_list_option("--train-sizes", "Training-set sizes", TRAIN_SIZES)
    ] = None,
    seeds: Annotated[list[str] | None, seeds_option(SEEDS)] = None,
    test_size: Annotated[int, typer.Option(help="Held-out archs per task and seed.")] = 1000,
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    curves: CurveFiles = None,
    store: Annotated[Path, store_option()] = RESULTS / "predictors" / "store.jsonl",
    out: Annotated[Path, out_option("Output directory for tables and figures.")] = RESULTS
    / "predictors",
    progress: Progress = True,
    retry_failed: RetryFailed = False,
    verbose: Verbose = False,
) -> None:
    """Predictor quality (Kendall, Spearman, MAE, ...) and fit/query time against
    training-set size; resumable.

    The committed tables/predictors/ are made by studies/predictors.py."""
    from naspred.benchmarks import load_tasks
    from naspred.experiments.predictors import run_predictor_study, write_predictor_tables
    from naspred.predictors import model_based_predictors

    specs = predictor_specs(predictor or model_based_predictors())
    check_predictors(specs)  # before loading tasks: a typo fails at once
    sizes = int_list(train_sizes or [TRAIN_SIZES], "--train-sizes")
    seed_list = int_list(seeds or [SEEDS], "--seeds")
    chosen = load_tasks(
        split_list(task), suite_zero=suite_zero_dir, embedded=embedded, curves=curves or ()
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
    )
    write_predictor_tables(results, out)
    counts = results["status"].value_counts().to_dict()
    typer.echo(f"{len(results)} cells in {store} ({counts}) -> {out}/")
