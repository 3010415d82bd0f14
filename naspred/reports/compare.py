"""The tables and figures of ``naspred compare``, written as one set.

In the output directory (``tables/compare/<proxy>/`` by default): ``compare.csv``
(one row per task and proxy: correlations with bootstrap CIs, ``p_new_better``,
rank), ``mean_rank.csv``, ``similarity.csv`` and ``similarity.png`` (the new
proxy's Spearman with each baseline), ``scores.csv`` (every score compared),
``failures.csv`` (when a computed proxy failed on some arch), ``spearman_ci.png``
and ``compare.md``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from naspred.benchmarks.task import TARGET
from naspred.reports.figures import correlation_heatmap, spearman_ci_figure
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import format_table, thin_test_warning, write_csv, write_text

log = logging.getLogger(__name__)

#: Suffixes that tell a live-computed baseline, or a stored one whose name the new
#: proxy takes, from the new proxy's column.
LIVE, STORED = " (live)", " (stored)"
#: How the source of a Gaussian-noise minibatch begins (no image data was given).
NOISE = "gaussian noise"
#: Spearman with a baseline above which the report calls the new proxy a near-copy.
NEAR_COPY = 0.9

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = (
    "compare.csv",
    "mean_rank.csv",
    "similarity.csv",
    "scores.csv",
    "failures.csv",
    "similarity.png",
    "spearman_ci.png",
    "compare.md",
)


class CompareOutputs(Protocol):
    """What the writer reads of a comparison
    (:class:`naspred.experiments.compare.CompareResult`)."""

    proxy: str
    table: pd.DataFrame
    ranks: pd.DataFrame
    similarity: pd.DataFrame
    scores: pd.DataFrame
    failures: Sequence[Any]
    inputs: Mapping[str, str]
    files: list[Path]


def write_compare_tables(
    result: CompareOutputs, out_dir: str | Path, *, n_boot: int, seed: int, batch_size: int
) -> list[Path]:
    """Write every table and figure of a comparison to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`), and add them to ``result.files``.

    Args:
        result: the comparison (:func:`naspred.experiments.compare.run_compare`).
        out_dir: the output directory.
        n_boot: bootstrap resamples used (said in the markdown).
        seed: the seed of the arch subset and the resamples (said in the markdown).
        batch_size: the minibatch size the proxies were computed on (likewise).

    Returns:
        The files written, as installed in ``out_dir``.
    """
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(result.table, out / "compare.csv"),
            write_csv(result.ranks, out / "mean_rank.csv"),
            write_csv(result.similarity, out / "similarity.csv", index=True),
            write_csv(result.scores, out / "scores.csv"),
        ]
        if result.failures:
            failed = pd.DataFrame([vars(f) for f in result.failures])
            files.append(write_csv(failed, out / "failures.csv"))
        files += [
            correlation_heatmap(
                result.similarity,
                out / "similarity.png",
                title=f"Spearman of {result.proxy} with {TARGET} and each baseline",
            ),
            spearman_ci_figure(result.table, out / "spearman_ci.png"),
            write_text(_markdown(result, n_boot, seed, batch_size), out / "compare.md"),
        ]
    files = relocate(files, out, out_dir)
    result.files += files
    log.info("compare %s: wrote %d files to %s", result.proxy, len(files), out_dir)
    return files


def _markdown(result: CompareOutputs, n_boot: int, seed: int, batch_size: int) -> str:
    t = result.table
    new = result.proxy
    noise = [task for task, source in result.inputs.items() if source.startswith(NOISE)]
    title = f"# `{new}` against the baselines"
    if noise:
        title += " -- on Gaussian noise, not images" + (
            "" if len(noise) == len(result.inputs) else f" ({', '.join(noise)})"
        )
    lines = [title, ""]
    lines += [
        f"Spearman and Kendall with `{TARGET}` on a seeded subset of the archs that carry every "
        f"stored baseline (seed {seed}, minibatch of {batch_size}); 95% percentile bootstrap "
        f"intervals from {n_boot} resamples of the archs, the same resamples for every proxy. "
        f"`P({new} better)`: fraction of resamples in which `{new}`'s Spearman exceeds the "
        "baseline's. Pairwise: the fraction of arch pairs ordered as the ground truth "
        "orders them (0.5 = chance); best arch at: where the truly best compared arch "
        "lands in the proxy's order (1 = first). Rank: by Spearman within the task "
        "(1 = best). Baselines marked "
        f"`{LIVE.strip()}` were computed here; the others are the task's stored scores.",
        "",
    ]
    if result.inputs:
        lines += [
            "Minibatch: "
            + "; ".join(f"{task}: {source}" for task, source in result.inputs.items())
            + (
                ". **Data-dependent scores on noise are not those on real data**: give --npz "
                "or --data-root."
                if noise
                else "."
            ),
            "",
        ]
    for task in dict.fromkeys(t["task"]):
        part = t[t["task"] == task].sort_values("rank")
        shown = pd.DataFrame(
            {
                "proxy": part["proxy"].where(part["kind"] != "new", "**" + part["proxy"] + "**"),
                "Spearman [95% CI]": [
                    _ci(r.spearman, r.spearman_lo, r.spearman_hi) for r in part.itertuples()
                ],
                "Kendall [95% CI]": [
                    _ci(r.kendall, r.kendall_lo, r.kendall_hi) for r in part.itertuples()
                ],
                f"P({new} better)": part["p_new_better"],
                "pairwise": part["pairwise_acc"],
                "best arch at": _whole_if_integral(part["best_rank"]),
                "rank": _whole_if_integral(part["rank"]),
                "archs": part["n"],
                "non-finite": part["n_nonfinite"],
                "failed": part["n_failed"],
            }
        )
        lines += [
            f"## {task}",
            "",
            *thin_test_warning(int(part["n"].min()), "arch subset (fewest finite scores)"),
        ]
        lines += [format_table(shown, ".3f", index=False), ""]
    lines += ["## Mean rank across tasks", "", format_table(result.ranks, ".3f", index=False), ""]
    sim = result.similarity.drop(columns=[TARGET], errors="ignore")
    lines += [
        f"## Is `{new}` just another baseline?",
        "",
        f"Spearman between `{new}` and each baseline on the same archs (`similarity.png`).",
        "",
        format_table(result.similarity, ".3f"),
        "",
        "![similarity to each baseline](similarity.png)",
        "",
        f"Spearman of `{new}` with `{TARGET}` and each baseline (n = {_span(t['n'])} archs).",
        "",
        "![Spearman with bootstrap intervals](spearman_ci.png)",
        "",
        f"Spearman with `{TARGET}` and its 95% bootstrap interval, per task and proxy "
        f"(n = {_span(t['n'])} archs, {n_boot} resamples).",
        "",
    ]
    mean_abs = sim.abs().mean().dropna().sort_values(ascending=False)
    if not mean_abs.empty:
        closest, value = mean_abs.index[0], float(mean_abs.iloc[0])
        verdict = (
            f"it ranks the archs almost as `{closest}` does (|Spearman| >= {NEAR_COPY})"
            if value >= NEAR_COPY
            else f"no baseline reaches |Spearman| {NEAR_COPY}: it is not a copy of any of them"
        )
        lines += [
            f"Closest baseline: `{closest}`, mean |Spearman| {value:.3f} over tasks; {verdict}.",
            "",
        ]
    if result.failures:
        lines += [
            f"{len(result.failures)} (proxy, arch) computations failed and score NaN "
            "(left out of the correlations, listed in `failures.csv`).",
            "",
        ]
    return "\n".join(lines)


def _whole_if_integral(ranks: pd.Series) -> pd.Series:
    """Ranks as integers when no tie made a half rank, so the table shows ``1``, not ``1.000``."""
    whole = ranks.dropna()
    return ranks.astype("Int64") if (whole == whole.round()).all() else ranks


def _span(n: pd.Series) -> str:
    """``"100"``, or ``"95-100"`` when the proxies rest on different numbers of archs."""
    lo, hi = int(n.min()), int(n.max())
    return f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"


def _ci(value: float, lo: float, hi: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.3f} [{lo:.3f}, {hi:.3f}]"
