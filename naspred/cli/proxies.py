"""``naspred proxies ...``: list the zero-cost proxies and compute them over a task."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt
from naspred.errors import UnknownTaskError


def list_proxies() -> None:
    """Every registered proxy: what it needs and the paper it follows."""
    from tabulate import tabulate  # what DataFrame.to_markdown calls, without pandas' import

    from naspred.proxies import get_proxy, proxy_names

    rows = []
    for name in proxy_names():
        proxy = get_proxy(name)
        if proxy.population:
            needs = "scores of " + ", ".join(proxy.depends)
        else:
            needs = ", ".join(sorted(proxy.needs)) or "-"
        rows.append({"proxy": name, "data": "yes" if proxy.needs else "no", "needs": needs})
        rows[-1]["paper"] = proxy.paper
    typer.echo(tabulate(rows, headers="keys", tablefmt="pipe"))


def compute(
    task: Annotated[
        list[str],
        typer.Option(
            "--task",
            "-t",
            help="Task name or pattern, e.g. 'nasbench201/cifar10'; repeatable or a comma "
            "list. A 'space/dataset' no source provides is scored without ground truth "
            "(val_accuracy null; needs --n-archs or --keys-file).",
        ),
    ],
    proxy: Annotated[
        list[str] | None, opt.proxy_option("Proxy names", default="every registered one")
    ] = None,
    n_archs: Annotated[
        int | None,
        opt.n_archs_option("Archs to sample per task (seeded).", default="all of the task's"),
    ] = None,
    keys_file: Annotated[
        Path | None,
        opt.keys_file_option(
            "Score exactly these archs: a text file, one arch per line (its key or the "
            "space's own string, e.g. an NB201 arch string)."
        ),
    ] = None,
    out: Annotated[
        Path,
        opt.out_option(
            "Output directory: zc_<space>.json (Suite-Zero layout) plus its journal "
            "and failures files; a rerun resumes from them."
        ),
    ] = opt.RESULTS / "proxies",
    device: opt.Device = "cpu",
    backend: opt.Backend = "local",
    ray_address: opt.RayAddress = None,
    n_jobs: opt.NJobs = None,
    seed: Annotated[int, opt.seed_option("Arch sample, initialisation, minibatch.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Minibatch of the data proxies.", min=1)] = 32,
    fresh_batches: Annotated[
        bool,
        typer.Option(
            "--fresh-batches/--shared-batch",
            help="A new minibatch per arch, as NAS-Bench-Suite-Zero's runner draws, "
            "instead of one batch shared by all archs.",
        ),
    ] = False,
    data_root: Annotated[
        Path | None,
        opt.data_root_option(
            "The dataset's published files: CIFAR (torchvision layout), ImageNet16-120 "
            "batches, svhn .mat, scifar100 s2_cifar100.gz or ninapro .npy; default: the "
            "`naspred data fetch` copy."
        ),
    ] = None,
    npz: Annotated[
        Path | None,
        opt.npz_option(
            "An .npz image sample (train_x of the dataset's shape, train_y), used if "
            "--data-root is not."
        ),
    ] = None,
    download: opt.Download = False,
    chunk_size: Annotated[
        int | None,
        typer.Option(help="Archs per unit of parallel work.", show_default="automatic", min=1),
    ] = None,
    torch_threads: opt.TorchThreads = 1,
    suite_zero_dir: opt.SuiteZeroDir = None,
    embedded: opt.Embedded = None,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Score archs of each task with zero-cost proxies; resumable.

    Scores go, as they finish, into OUT/zc_<space>.json (Suite-Zero layout), which
    `naspred correlations --suite-zero-dir OUT` reads."""
    from naspred.experiments.proxy_scoring import compute_task_scores, output_path
    from naspred.proxies import proxy_names

    opt.check_image_source(npz, data_root, required=False)
    names = opt.split_list(proxy) or proxy_names()
    opt.note_gpu_workers(device, backend, n_jobs)
    for chosen in _tasks(opt.split_list(task), suite_zero_dir, embedded):
        space = chosen.space if not isinstance(chosen, str) else chosen.split("/")[0]
        summary = compute_task_scores(
            chosen,
            names,
            n_archs,
            output_path(out, space),
            keys=opt.read_keys(keys_file, space),
            seed=seed,
            batch_size=batch_size,
            fresh_batches=fresh_batches,
            device=device,
            backend=backend,  # type: ignore[arg-type]
            address=ray_address,
            n_jobs=n_jobs,
            data_root=data_root,
            npz=npz,
            download=download,
            chunk_size=chunk_size,
            torch_threads=torch_threads,
            progress=progress,
            retry_failed=retry_failed,
        )
        typer.echo(
            f"{summary.task}: {summary.archs} archs ({summary.scored} scored now, "
            f"{summary.skipped} already done), {len(summary.proxies)} proxies, "
            f"{summary.failures} failure(s), {summary.seconds:.1f} s, data: {summary.data} "
            f"-> {summary.out_json}"
        )


def _tasks(names: list[str], suite_zero_dir: Path | None, embedded: bool | None) -> list:
    """Tasks (with ground truth) for ``names``; a plain ``space/dataset`` that no source
    provides comes back as the string, to be scored without ground truth."""
    from naspred.benchmarks import load_tasks
    from naspred.spaces import space_names

    found: list = []
    for name in names:
        try:
            found += load_tasks([name], suite_zero=suite_zero_dir, embedded=embedded)
        except UnknownTaskError:
            space, sep, dataset = name.partition("/")
            if (
                not sep
                or not dataset
                or any(c in name for c in "*?[")
                or (space not in space_names())
            ):
                raise
            typer.secho(
                f"note: no source provides {name}; scoring without ground truth",
                err=True,
            )
            found.append(name)
    return found
