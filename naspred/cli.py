"""The ``naspred`` command line: thin sub-commands over the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli_benchmark import make_benchmark
from naspred.cli_options import (
    CurveFiles,
    Embedded,
    Progress,
    SuiteZeroDir,
    TaskNames,
    Verbose,
    fail,
    setup_logging,
)
from naspred.cli_proxies import proxies_app
from naspred.errors import InvalidInputError, NaspredError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Judge how well performance predictors and zero-cost proxies rank architectures.",
)


@app.command()
def tasks(
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    curves: CurveFiles = None,
    verbose: Verbose = False,
) -> None:
    """List every task the installed sources provide, with sizes and metrics."""
    from naspred.benchmarks import load_tasks, task_table

    setup_logging(verbose)
    try:
        found = load_tasks(suite_zero=suite_zero_dir, embedded=embedded, curves=curves or ())
    except (NaspredError, ValueError) as err:
        fail(err)
    table = task_table(found).drop(columns=["source"])
    typer.echo(table.to_markdown(index=False))


@app.command()
def correlations(
    task: TaskNames = None,
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output directory [default: tables/correlations/<embedded|suite_zero|all>]."
        ),
    ] = None,
    progress: Progress = True,
    verbose: Verbose = False,
) -> None:
    """Spearman/Kendall of every stored proxy per task, mean ranks, and cross-proxy
    heatmaps, written as markdown + CSV + PNG."""
    from naspred.benchmarks import load_tasks
    from naspred.benchmarks.suite_zero import suite_zero_dir as resolve_dir
    from naspred.experiments import run_correlation_study

    setup_logging(verbose)
    try:
        chosen = load_tasks(task, suite_zero=suite_zero_dir, embedded=embedded)
        if out is None:
            with_sz = resolve_dir(suite_zero_dir) is not None
            with_embedded = embedded or (embedded is None and not with_sz)
            kind = "all" if with_sz and with_embedded else "suite_zero" if with_sz else "embedded"
            out = Path("tables") / "correlations" / kind
        study = run_correlation_study(chosen, out, progress=progress)
    except (NaspredError, ValueError) as err:
        fail(err)
    typer.echo(f"{len(chosen)} task(s), {len(study.table)} (task, proxy) pairs -> {out}/")
    if not study.ranks.empty:
        typer.echo(study.ranks.to_markdown(index=False, floatfmt=".3f"))


@app.command()
def compare(
    proxy: Annotated[
        str,
        typer.Argument(
            help="Your proxy as module:function or path/to/file.py:function "
            "(fn(ctx) -> float, see docs/examples/my_proxy.py), or a registered name."
        ),
    ],
    task: TaskNames = None,
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    n_archs: Annotated[
        int, typer.Option(help="Archs per task, drawn by --seed from those with stored scores.")
    ] = 100,
    batch_size: Annotated[int, typer.Option(help="Minibatch size for the proxies.")] = 32,
    seed: Annotated[int, typer.Option(help="Seeds the archs, batch, init and bootstrap.")] = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the CIs.")] = 1000,
    live_baselines: Annotated[
        str, typer.Option(help="Comma-separated registered proxies to compute here as well.")
    ] = "",
    data: Annotated[
        Path | None,
        typer.Option(
            envvar="NASPRED_PROXY_DATA",
            help="CIFAR images: an .npz sample or a torchvision-format directory "
            "[default: Gaussian-noise fallback, with a warning].",
        ),
    ] = None,
    download: Annotated[bool, typer.Option(help="Download CIFAR into --data if absent.")] = False,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    out: Annotated[
        Path | None, typer.Option(help="Output directory [default: tables/compare/<proxy>].")
    ] = None,
    progress: Progress = True,
    verbose: Verbose = False,
) -> None:
    """Rank a new proxy against every stored baseline: Spearman/Kendall with bootstrap
    CIs, rank per task, mean rank, and its correlation with each baseline."""
    from naspred.benchmarks import load_tasks
    from naspred.experiments.compare import resolve_proxy, run_compare

    setup_logging(verbose)
    try:
        name = resolve_proxy(proxy)  # before loading tasks: a typo fails at once
        chosen = load_tasks(task, suite_zero=suite_zero_dir, embedded=embedded)
        result = run_compare(
            name,
            chosen,
            out,
            n_archs=n_archs,
            batch_size=batch_size,
            seed=seed,
            n_boot=n_boot,
            live_baselines=[b.strip() for b in live_baselines.split(",") if b.strip()],
            data=data,
            download=download,
            device=device,
            progress=progress,
        )
    except (NaspredError, ValueError, KeyError) as err:
        fail(err)
    where = result.files[0].parent if result.files else out
    typer.echo(f"{result.proxy} on {len(chosen)} task(s) -> {where}/")
    typer.echo(result.ranks.to_markdown(index=False, floatfmt=".3f"))


def _ints(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"``."""
    out: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    return out


@app.command()
def predictors(
    task: TaskNames = None,
    predictor: Annotated[
        list[str] | None,
        typer.Option(
            "--predictor",
            "-p",
            help="Registered name with optional hyper-parameters, e.g. "
            "'xgb:encoding=graph_features'; repeatable [default: every model-based predictor].",
        ),
    ] = None,
    train_sizes: Annotated[
        str, typer.Option(help="Comma-separated sizes.")
    ] = "10,20,50,100,200,500,1000",
    seeds: Annotated[str, typer.Option(help="e.g. '0-4' or '0,1,2'.")] = "0-4",
    test_size: Annotated[int, typer.Option(help="Held-out archs per task and seed.")] = 1000,
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    curves: CurveFiles = None,
    store: Annotated[
        Path, typer.Option(help="Results store (JSON lines); a rerun resumes from it.")
    ] = Path("results/predictors.jsonl"),
    out: Annotated[Path, typer.Option(help="Output directory for tables and figures.")] = Path(
        "tables/predictors"
    ),
    progress: Progress = True,
    verbose: Verbose = False,
) -> None:
    """Predictor quality (Kendall, Spearman, MAE, ...) and fit/query time against
    training-set size; resumable."""
    from naspred.benchmarks import load_tasks
    from naspred.experiments.predictors import run_predictor_study, write_predictor_tables
    from naspred.predictors import model_based_predictors
    from naspred.predictors.spec import PredictorSpec

    setup_logging(verbose)
    try:
        chosen = load_tasks(task, suite_zero=suite_zero_dir, embedded=embedded, curves=curves or ())
        names = predictor or model_based_predictors()
        specs = [PredictorSpec.parse(p) for p in names]
        results = run_predictor_study(
            chosen,
            specs,
            _ints(train_sizes),
            _ints(seeds),
            store,
            test_size=test_size,
            progress=progress,
        )
        write_predictor_tables(results, out)
    except (NaspredError, ValueError, KeyError) as err:
        fail(err)
    counts = results["status"].value_counts().to_dict()
    typer.echo(f"{len(results)} cells in {store} ({counts}) -> {out}/")


@app.command()
def tradeoff(
    task: TaskNames = None,
    predictor: Annotated[
        list[str] | None,
        typer.Option(
            "--predictor",
            "-p",
            help="Registered name with optional hyper-parameters, e.g. 'omni:n_estimators=200'; "
            "repeatable [default: naspred.experiments.tradeoff.DEFAULT_PREDICTORS].",
        ),
    ] = None,
    train_sizes: Annotated[str, typer.Option(help="Comma-separated sizes.")] = "10,30,100,300",
    query_epochs: Annotated[
        str | None, typer.Option(help="Comma-separated epochs [default: 1,2,4,8,... < epochs].")
    ] = None,
    seeds: Annotated[str, typer.Option(help="e.g. '0-2' or '0,1,2'.")] = "0-2",
    test_size: Annotated[
        int | None,
        typer.Option(help="Held-out archs per seed [default: 200, or half a smaller task's]."),
    ] = None,
    suite_zero_dir: SuiteZeroDir = None,
    embedded: Embedded = None,
    curves: CurveFiles = None,
    store: Annotated[
        Path, typer.Option(help="Results store (JSON lines); a rerun resumes from it.")
    ] = Path("results/tradeoff.jsonl"),
    out: Annotated[Path, typer.Option(help="Output directory for tables and figures.")] = Path(
        "tables/tradeoff"
    ),
    progress: Progress = True,
    verbose: Verbose = False,
) -> None:
    """Initialisation vs query budget: the best predictor (Kendall tau) per budget cell
    on each task with learning curves and epoch times; resumable."""
    from naspred.benchmarks import load_tasks
    from naspred.experiments.tradeoff import (
        DEFAULT_PREDICTORS,
        run_tradeoff_study,
        write_tradeoff_tables,
    )
    from naspred.predictors.spec import PredictorSpec

    setup_logging(verbose)
    try:
        found = load_tasks(task, suite_zero=suite_zero_dir, embedded=embedded, curves=curves or ())
        chosen = [t for t in found if "epoch_time" in t.curves]
        if not chosen:
            raise InvalidInputError("no chosen task has learning curves with epoch times")
        specs = [PredictorSpec.parse(p) for p in (predictor or DEFAULT_PREDICTORS)]
        for one in chosen:
            where = out if len(chosen) == 1 else out / one.name.replace("/", "__")
            results = run_tradeoff_study(
                one,
                specs,
                store,
                train_sizes=_ints(train_sizes),
                query_epochs=_ints(query_epochs) if query_epochs else None,
                seeds=_ints(seeds),
                test_size=test_size,
                progress=progress,
            )
            write_tradeoff_tables(one, results, where)
            counts = results["status"].value_counts().to_dict()
            typer.echo(f"{one.name}: {len(results)} units in {store} ({counts}) -> {where}/")
    except (NaspredError, ValueError, KeyError) as err:
        fail(err)


app.add_typer(proxies_app, name="proxies")
app.command("make-benchmark")(make_benchmark)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
