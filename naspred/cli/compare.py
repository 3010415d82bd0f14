"""``naspred compare``: a new proxy against every stored baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt


def compare(
    proxy: Annotated[
        str,
        typer.Argument(
            help="Your proxy as module:function or path/to/file.py:function "
            "(fn(ctx) -> float, see docs/examples/my_proxy.py), or a registered name."
        ),
    ],
    task: opt.TaskNames = None,
    suite_zero_dir: opt.SuiteZeroDir = None,
    graf_dir: opt.GrafDir = None,
    cells: opt.Cells = None,
    target: opt.Target = None,
    embedded: opt.Embedded = None,
    n_archs: Annotated[
        int, opt.n_archs_option("Archs per task, drawn by --seed from those with stored scores.")
    ] = 100,
    batch_size: Annotated[int, typer.Option(help="Minibatch size for the proxies.", min=1)] = 32,
    seed: Annotated[int, opt.seed_option("Seeds the archs, batch, init and bootstrap.")] = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the CIs.", min=1)] = 1000,
    live_baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--live-baseline",
            help="Registered proxy to compute here as well, as a baseline; repeatable or "
            "a comma list.",
            show_default="none",
        ),
    ] = None,
    npz: Annotated[
        Path | None, opt.npz_option("Images of the dataset from an .npz sample.")
    ] = None,
    data_root: Annotated[
        Path | None,
        opt.data_root_option(
            "The dataset's published files (CIFAR torchvision layout, ImageNet16-120, "
            "svhn, scifar100, ninapro) instead."
        ),
    ] = None,
    download: opt.Download = False,
    device: opt.Device = "cpu",
    backend: opt.Backend = "local",
    ray_address: opt.RayAddress = None,
    n_jobs: opt.NJobs = None,
    torch_threads: opt.TorchThreads = 1,
    out: Annotated[
        Path | None, opt.out_option("Output directory.", "results/compare/<proxy>")
    ] = None,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Rank a new proxy against every stored baseline: Spearman/Kendall with bootstrap
    CIs, rank per task, mean rank, and its correlation with each baseline.

    Without --npz or --data-root the proxies see Gaussian noise (with a warning)."""
    from naspred.experiments.compare import default_out_dir, resolve_proxy, run_compare

    opt.check_image_source(npz, data_root, required=False)
    opt.note_gpu_workers(device, backend, n_jobs)
    name = resolve_proxy(proxy)  # before loading tasks: a typo fails at once
    chosen = opt.chosen_tasks(
        task,
        suite_zero_dir=suite_zero_dir,
        embedded=embedded,
        graf_dir=graf_dir,
        target=target,
        cells=cells,
    )
    result = run_compare(
        name,
        chosen,
        out,
        n_archs=n_archs,
        batch_size=batch_size,
        seed=seed,
        n_boot=n_boot,
        live_baselines=opt.split_list(live_baseline),
        data=npz if npz is not None else data_root,
        download=download,
        device=device,
        progress=progress,
        retry_failed=retry_failed,
        **opt.parallel(backend, n_jobs, ray_address, torch_threads),
    )
    where = result.files[0].parent if result.files else out or default_out_dir(name)
    typer.echo(f"{result.proxy} on {len(chosen)} task(s) -> {where}/")
    from naspred.reports.tables import format_table

    typer.echo(format_table(result.ranks, ".3f", index=False))
