"""``naspred make-benchmark``: train archs and record their learning curves (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from naspred.cli import options as opt
from naspred.errors import InvalidInputError


def make_benchmark(
    out: Annotated[
        Path,
        opt.out_option("The learning-curve file (JSON lines); resumed if it exists.", file=True),
    ],
    space: Annotated[str, typer.Option(help="Search space.")] = "nasbench201",
    n_archs: Annotated[
        int | None,
        opt.n_archs_option("Distinct archs to pick with --seed (one per isomorphism class)."),
    ] = None,
    keys_file: Annotated[
        Path | None,
        opt.keys_file_option(
            "Train these archs instead: a text file, one arch per line (its key or the "
            "space's own string, e.g. an NB201 arch string)."
        ),
    ] = None,
    seed: Annotated[int, opt.seed_option("Picks the archs; seeds every arch's training.")] = 0,
    npz: Annotated[
        Path | None,
        opt.npz_option("Images from an .npz with train_x/train_y and test_x/test_y."),
    ] = None,
    data_root: Annotated[
        Path | None,
        opt.data_root_option("Images from a torchvision-format CIFAR directory instead."),
    ] = None,
    download: opt.Download = False,
    dataset: Annotated[str, typer.Option(help="cifar10 or cifar100.")] = "cifar10",
    epochs: Annotated[int, typer.Option(help="Training epochs per arch.", min=1)] = 12,
    batch_size: Annotated[int, typer.Option(help="Training minibatch size.", min=1)] = 128,
    lr: Annotated[float, typer.Option(help="Initial learning rate (cosine to 0, per step).")] = 0.1,
    momentum: Annotated[float, typer.Option(help="SGD momentum.")] = 0.9,
    weight_decay: Annotated[float, typer.Option(help="Weight decay.")] = 5e-4,
    nesterov: Annotated[bool, typer.Option(help="Nesterov momentum.")] = True,
    augment: Annotated[bool, typer.Option(help="Random crop + horizontal flip.")] = True,
    crop_padding: Annotated[int, typer.Option(help="Random-crop padding in pixels.")] = 4,
    channels: Annotated[
        int, typer.Option("--channels", "-C", help="Channels of the first stage (NB201: 16).")
    ] = 16,
    # not --cells: every other command's --cells chooses which archs count
    cells_per_stage: Annotated[
        int, typer.Option("--cells-per-stage", "-N", help="Cells per stage (NB201: 5).")
    ] = 5,
    image_size: Annotated[int, typer.Option(help="Downsample images to this side.")] = 32,
    # images, not --train-sizes: that counts training archs in predictors and tradeoff
    train_images: Annotated[
        int | None,
        typer.Option(help="Train on a subset of this many images.", show_default="all"),
    ] = None,
    val_images: Annotated[
        int | None,
        typer.Option(help="Validate on a subset of this many images.", show_default="all"),
    ] = None,
    # the earlier spellings, still read
    train_size: Annotated[
        int | None, typer.Option("--train-size", hidden=True, help="Read as --train-images.")
    ] = None,
    val_size: Annotated[
        int | None, typer.Option("--val-size", hidden=True, help="Read as --val-images.")
    ] = None,
    proxy: Annotated[
        list[str] | None,
        opt.proxy_option(
            "Zero-cost proxies scored on each network at initialisation (for OMNI and "
            "the trade-off study), e.g. 'jacov,synflow'",
            default="none",
        ),
    ] = None,
    device: opt.Device = "cpu",
    backend: opt.Backend = "local",
    ray_address: opt.RayAddress = None,
    n_jobs: Annotated[
        int | None,
        opt.n_jobs_option("Archs trained at once (on a GPU: networks sharing it).", default="CPUs"),
    ] = None,
    torch_threads: opt.TorchThreads = 1,
    progress: opt.Progress = True,
    retry_failed: opt.RetryFailed = False,
    verbose: opt.Verbose = False,
) -> None:
    """Train archs of a space from scratch and record per-epoch train/val loss and
    accuracy and epoch times in a resumable learning-curve file."""
    import numpy as np

    from naspred.experiments.lc_benchmark import make_benchmark as run
    from naspred.experiments.training import DataSource, TrainingProtocol

    opt.check_image_source(npz, data_root, required=True)
    if (n_archs is None) == (keys_file is None):
        raise InvalidInputError("give exactly one of --n-archs or --keys-file")
    protocol = TrainingProtocol(
        dataset=dataset,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        nesterov=nesterov,
        augment=augment,
        crop_padding=crop_padding,
        C=channels,
        N=cells_per_stage,
        image_size=image_size,
        train_size=_either(train_images, train_size, "--train-images", "--train-size"),
        val_size=_either(val_images, val_size, "--val-images", "--val-size"),
        proxies=tuple(opt.split_list(proxy)),
    )
    source = DataSource(
        dataset=dataset,
        npz=str(npz) if npz is not None else None,
        root=str(data_root) if data_root is not None else None,
        download=download,
    )
    task = run(
        space,
        out,
        source,
        protocol,
        keys=opt.read_keys(keys_file, space),
        n_archs=n_archs,
        seed=seed,
        device=device,
        backend=backend,
        address=ray_address,
        n_jobs=n_jobs,
        progress=progress,
        retry_failed=retry_failed,
        torch_threads=torch_threads,
    )
    acc = task.val_accuracy
    typer.echo(
        f"{len(task)} archs x {task.n_epochs} epochs in {out}: final val accuracy "
        f"{acc.min():.2f}-{acc.max():.2f}% (median {float(np.median(acc)):.2f})"
    )


def _either(value: int | None, alias: int | None, name: str, alias_name: str) -> int | None:
    """The value of an option given by its name or by its earlier spelling, not both."""
    if value is not None and alias is not None:
        raise InvalidInputError(f"give {name} alone ({alias_name} is its earlier spelling)")
    return value if value is not None else alias
