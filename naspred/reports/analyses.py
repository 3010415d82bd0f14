"""The tables and figures of the analyses study (:mod:`naspred.experiments.analyses`),
written as one set.

In the output directory:

- ``analyses.md`` -- every task's tables, the method, and the figures' list;
- ``bias.csv`` -- one row per (task, variable): Spearman of accuracy and of each
  proxy with every property, archs used and left out;
- ``information.csv`` -- one row per (task, proxy_i, proxy_j): ``mi`` (nats; the
  diagonal ``I(acc; p_i)``, else ``I(acc; p_i, p_j)``), ``mi_shuffled`` (the same
  with accuracy permuted), ``gain`` (``I(acc; p_i, p_j)`` over the larger of the
  two singles), archs used and bins per variable;
- ``corrected.csv`` -- one row per (task, proxy): Spearman with accuracy before and
  after params and FLOPs are regressed out;
- ``information_bins.csv`` -- one row per (task, bin count): the most informative
  proxy and pair at the study's bin count and at others, with their shuffled floor;
- ``<space>__<dataset>/`` per task: the same three tables for that task alone as CSV
  and in its ``analyses.md``, ``bias.png`` (proxies x properties, accuracy first)
  and ``information.png`` (the mutual-information heatmap).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from naspred.benchmarks.task import TARGET, Task
from naspred.reports.figures import correlation_heatmap
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import format_table, write_csv, write_text

log = logging.getLogger(__name__)

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = (
    "analyses.md",
    "bias.csv",
    "information.csv",
    "corrected.csv",
    "*/analyses.md",
    "*/bias.csv",
    "*/information.csv",
    "*/corrected.csv",
    "information_bins.csv",
    "*/information_bins.csv",
    "*/bias.png",
    "*/information.png",
)

#: How the tables treat failures, said wherever they are shown.
FAILURE_RULE = (
    "Failures are left out pairwise, never imputed: each value rests on the archs where "
    "both of its sides are finite (`n`). `n_failed` counts the archs on which the proxy's "
    "source recorded a failure (Suite-Zero's `-1e8`, a failure `naspred compare` caught), "
    "`n_nonfinite` other NaN/inf scores, `n_missing` archs the source stores no score for."
)


class AnalysesResults(Protocol):
    """What the writer reads of a study (:class:`naspred.experiments.analyses.AnalysesStudy`)."""

    properties: dict[str, pd.DataFrame]
    bias: dict[str, pd.DataFrame]
    information: dict[str, Any]
    corrected: dict[str, pd.DataFrame]
    sensitivity: dict[str, pd.DataFrame]


def slug(task_name: str) -> str:
    """The directory of a task's outputs: ``nasbench201__cifar10``."""
    return task_name.replace("/", "__").replace("@", "_at_")


def information_long(info: Any) -> pd.DataFrame:
    """One row per unordered pair (diagonal included) of an
    :class:`~naspred.experiments.analyses.Information`."""
    names = list(info.mi.index)
    rows = []
    for i, a in enumerate(names):
        for b in names[i:]:
            mi = info.mi.at[a, b]
            single = max(info.mi.at[a, a], info.mi.at[b, b])
            rows.append(
                {
                    "proxy_i": a,
                    "proxy_j": b,
                    "mi": mi,
                    "mi_shuffled": info.shuffled.at[a, b],
                    "gain": mi - single if a != b else np.nan,
                    "n": int(info.n.at[a, b]),
                    "bins": info.bins,
                }
            )
    return pd.DataFrame(rows)


def write_analyses(
    study: AnalysesResults, tasks: Sequence[Task], out_dir: str | Path, *, title: str
) -> list[Path]:
    """Write every table and figure of the analyses to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`).

    Args:
        study: the computed analyses.
        tasks: the tasks analysed, in order.
        out_dir: the output directory.
        title: the markdown's heading.

    Returns:
        The files written, as installed in ``out_dir``.
    """
    bias_all, info_all, corr_all, sens_all = [], [], [], []
    sections: list[str] = []
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files: list[Path] = []
        for task in tasks:
            name = task.name
            where = out / slug(name)
            bias = study.bias[name]
            info = study.information[name]
            corrected = study.corrected.get(name)
            info_long = information_long(info)
            files.append(write_csv(bias.reset_index(), where / "bias.csv"))
            files.append(write_csv(info_long, where / "information.csv"))
            bias_all.append(bias.reset_index().assign(task=name))
            info_all.append(info_long.assign(task=name))
            if corrected is not None:
                files.append(write_csv(corrected, where / "corrected.csv"))
                corr_all.append(corrected.assign(task=name))
            files.append(_bias_figure(bias, name, where / "bias.png"))
            files.append(_information_figure(info, name, where / "information.png"))
            sensitivity = study.sensitivity.get(name)
            if sensitivity is not None:
                files.append(write_csv(sensitivity, where / "information_bins.csv"))
                sens_all.append(sensitivity.assign(task=name))
            section = _task_section(
                task, study.properties[name], bias, info, info_long, corrected, sensitivity
            )
            files.append(
                write_text(
                    "\n".join([f"# {title}: {name}", "", _method(), "", *section]),
                    where / "analyses.md",
                )
            )
            sections += [f"## {name}", "", *_shift(section)]
        files.append(write_csv(_first(bias_all, "task"), out / "bias.csv"))
        files.append(write_csv(_first(info_all, "task"), out / "information.csv"))
        files.append(write_csv(_first(corr_all, "task"), out / "corrected.csv"))
        files.append(write_csv(_first(sens_all, "task"), out / "information_bins.csv"))
        summary = _summary(tasks, study)
        files.append(
            write_text(
                "\n".join([f"# {title}", "", _method(), "", *summary, *sections]),
                out / "analyses.md",
            )
        )
    return relocate(files, out, out_dir)


def _first(frames: list[pd.DataFrame], column: str) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=[column])
    frame = pd.concat(frames, ignore_index=True)
    return frame[[column, *[c for c in frame.columns if c != column]]]


def _shift(lines: list[str]) -> list[str]:
    """A task's section one heading level down, for the combined markdown."""
    return ["#" + line if line.startswith("## ") else line for line in lines]


def _method() -> str:
    return (
        "The analyses of NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 Datasets "
        "and Benchmarks), by `naspred.experiments.analyses` (its docstring states the "
        "method). **Bias**: Spearman of accuracy (first row; `val_accuracy (scored archs)`: "
        "on the archs where every proxy has a score, where those are under 95% of the "
        "archs) and of each proxy with architecture properties: params and FLOPs "
        "(millions; the task's stored values, else the space's counter), and "
        "from the space's DAG view the number of convolutions, pooling ops and skip "
        "connections (as labelled), the depth (most ops on one input-to-output path "
        "through non-`none` ops) and the width (most ops of that live graph on one "
        "level, an op's level being the ops on the longest live path up to it). "
        "**Information**: the plug-in mutual information (nats) of accuracy with one "
        "proxy, `I(acc; p_i)`, and with two, `I(acc; p_i, p_j)`, every variable cut into "
        "the same number of equal-frequency bins over the archs the value rests on; the "
        "bins per variable are the most whose (acc, p_i, p_j) table keeps 5 archs per "
        "cell on average over the fewest archs any cell uses, `floor((n/5)^(1/3))` "
        "(the notebook's 1 + 3.322 ln n bins, 22 for 491 archs, leave the pair table "
        "with 10,648 cells for 491 archs: almost all bias). `shuffled` is the estimate "
        "with accuracy permuted, the floor that no information reaches; `H(acc)` its "
        "ceiling. **Bias-corrected**: an OLS fit of the proxy's ranks on the ranks of "
        "params and FLOPs (the ranks of their logs), the residual kept; `r2_size` the "
        "share of rank variance that size explains, `partial` the residual against "
        "accuracy's own residual. " + FAILURE_RULE
    )


def _task_section(
    task: Task,
    properties: pd.DataFrame,
    bias: pd.DataFrame,
    info: Any,
    info_long: pd.DataFrame,
    corrected: pd.DataFrame | None,
    sensitivity: pd.DataFrame | None = None,
) -> list[str]:
    where = slug(task.name)
    lines = [
        f"## Bias: Spearman with architecture properties ({len(task):,} archs, "
        f"source `{Path(task.source).name}`)",
        "",
        format_table(bias, ".3f"),
        "",
        f"Figure: `{where}/bias.png`. Property ranges: "
        + ", ".join(
            f"{c} {properties[c].min():.4g}-{properties[c].max():.4g}" for c in properties.columns
        )
        + ". A property constant over the archs has no correlation (blank).",
        "",
        f"## Information with accuracy ({info.bins} equal-frequency bins per variable, nats; "
        f"H(acc) = {info.h_acc:.3f})",
        "",
    ]
    singles = info_long[info_long["proxy_i"] == info_long["proxy_j"]]
    singles = singles.sort_values("mi", ascending=False)
    lines += [
        format_table(
            singles[["proxy_i", "mi", "mi_shuffled", "n"]].rename(
                columns={"proxy_i": "proxy", "mi": "I(acc; p)", "mi_shuffled": "shuffled"}
            ),
            ".3f",
            index=False,
        ),
        "",
    ]
    pairs = info_long[info_long["proxy_i"] != info_long["proxy_j"]]
    if len(pairs):
        top = pairs.sort_values("mi", ascending=False).head(10)
        lines += [
            "Pairs that tell most together (top 10 by `I(acc; p_i, p_j)`; `gain` over the "
            "better of the two alone):",
            "",
            format_table(
                top[["proxy_i", "proxy_j", "mi", "gain", "mi_shuffled", "n"]].rename(
                    columns={"mi": "I(acc; p_i, p_j)", "mi_shuffled": "shuffled"}
                ),
                ".3f",
                index=False,
            ),
            "",
            f"Figure: `{where}/information.png` (diagonal: one proxy; off-diagonal: the pair).",
            "",
        ]
    if sensitivity is not None and len(sensitivity):
        lines += [
            "Other bin counts (does the answer depend on the binning?): the most informative "
            "proxy and pair at each, and the shuffled-accuracy floor of that pair and the "
            "largest over all pairs, which grows as the pair table thins out.",
            "",
            format_table(sensitivity, ".3f", index=False),
            "",
        ]
    if corrected is None:
        lines += [
            "## Bias-corrected",
            "",
            "No params or FLOPs for this task's archs (no stored values, no counter for "
            f"space `{task.space}`): nothing to regress out.",
            "",
        ]
    else:
        shown = corrected.set_index("proxy")[
            [
                "n",
                "n_failed",
                "n_nonfinite",
                "r2_size",
                "spearman_before",
                "spearman_after",
                "partial",
                "spearman_params_before",
                "spearman_params_after",
                "spearman_flops_after",
            ]
        ].sort_values("spearman_after", ascending=False)
        lines += [
            "## Bias-corrected: Spearman with accuracy before and after params and FLOPs "
            "are regressed out of the proxy's ranks",
            "",
            format_table(shown, ".3f"),
            "",
            "A proxy that params and FLOPs explain whole (r2_size = 1) has no corrected value.",
            "",
        ]
    return lines


def _summary(tasks: Sequence[Task], study: AnalysesResults) -> list[str]:
    """Per task: the proxies that follow size most, and the most informative pair."""
    rows = []
    for task in tasks:
        bias = study.bias[task.name]
        bias = bias[[not str(v).startswith(TARGET) for v in bias.index]]
        # params follows params, and so do compare's "params (live)" and "params (stored)"
        drop = [p for p in bias.index if str(p).split(" (")[0] in ("params", "flops")]
        bias = bias.drop(index=drop)
        row: dict[str, object] = {"task": task.name}
        if "params" in bias and "flops" in bias and len(bias):
            size = bias[["params", "flops"]].abs().max(axis=1).sort_values(ascending=False)
            row["follows size most"] = ", ".join(
                f"{p} ({bias.at[p, 'params']:.2f}/{bias.at[p, 'flops']:.2f})"
                for p in size.index[:3]
            )
        long = information_long(study.information[task.name])
        pairs = long[long["proxy_i"] != long["proxy_j"]].dropna(subset=["mi"])
        if len(pairs):
            best = pairs.loc[pairs["mi"].idxmax()]
            row["most informative pair"] = (
                f"{best.proxy_i} + {best.proxy_j} ({best.mi:.3f} nats, +{best.gain:.3f})"
            )
        singles = long[long["proxy_i"] == long["proxy_j"]].dropna(subset=["mi"])
        if len(singles):
            one = singles.loc[singles["mi"].idxmax()]
            row["most informative alone"] = f"{one.proxy_i} ({one.mi:.3f} nats)"
        rows.append(row)
    return [
        "## Summary",
        "",
        "`follows size most`: the three proxies (other than params and FLOPs themselves) "
        "with the largest |Spearman| with params or FLOPs, (params/FLOPs) in brackets. "
        "`most informative pair`: the largest `I(acc; p_i, p_j)`, with its gain over the "
        "better of the two alone.",
        "",
        format_table(pd.DataFrame(rows), index=False),
        "",
    ]


def _bias_figure(bias: pd.DataFrame, name: str, path: Path) -> Path:
    values = bias.drop(columns=["n", "n_failed", "n_nonfinite", "n_missing"])
    targets = sum(str(v).startswith(TARGET) for v in bias.index)
    values.index = [f"{v} (n={int(n):,})" for v, n in zip(bias.index, bias["n"], strict=True)]
    return correlation_heatmap(
        values,
        path,
        title=f"Bias, {name}: Spearman with arch properties\n(target rows above the line)",
        rule_after_row=targets,
    )


def _information_figure(info: Any, name: str, path: Path) -> Path:
    order = list(
        pd.Series(np.diag(info.mi.to_numpy()), index=info.mi.index)
        .sort_values(ascending=False, na_position="last")
        .index
    )
    matrix = info.mi.loc[order, order]
    top = float(np.nanmax(matrix.to_numpy())) if np.isfinite(matrix.to_numpy()).any() else 1.0
    n = info.n.loc[order, order].to_numpy()
    n_label = (
        f"n={int(n.min()):,}" if n.min() == n.max() else f"n={int(n.min()):,}-{int(n.max()):,}"
    )
    return correlation_heatmap(
        matrix,
        path,
        title=(
            f"Information with accuracy, {name}\n(diagonal I(acc; p), off-diagonal "
            f"I(acc; p_i, p_j); nats, {info.bins} bins, {n_label}; H(acc)={info.h_acc:.2f})"
        ),
        vmin=0.0,
        vmax=max(top, 1e-6),
        cmap="viridis",
        center=None,
        cbar_label="mutual information (nats)",
        outline_diagonal=True,
    )
