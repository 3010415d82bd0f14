"""The live table: every proxy, computed live on the 1,000 NB201 archs of the
embedded learning-curve benchmark, against NB201's CIFAR-10 validation accuracy.

    python studies/live_table.py              # score what is missing, then the table
    python studies/live_table.py --phases 3   # only the first three groups of PHASES
    python studies/live_table.py --ship       # ... and ship the scores with the package

``--ship`` writes every proxy scored on all 1,000 archs as the learning-curve task's
live scores, ``naspred/data/learning_curves/nasbench201_cifar10_sample.zc.json``
(:func:`naspred.experiments.proxy_scoring.write_live_scores`): the README's main job
then shows them on ``nasbench201/cifar10-lc``.

On a complete journal nothing is scored again: the run rebuilds the git-ignored
Suite-Zero-layout json (population proxies included) and the table.

The archs are those of ``nasbench201/cifar10-lc`` (``tables/proxies/lc1000/keys.txt``),
so this table and the learning-curve studies meet on the same cells. Scoring runs
through ``naspred proxies compute`` (:func:`naspred.experiments.proxy_scoring.compute_task_scores`)
one group of proxies at a time, into the committed journal
``tables/proxies/lc1000/zc_nasbench201.journal.jsonl``: seed 0, the standard NB201
network (C=16, N=5), batch 32 of the shared CIFAR-10 sample (a proxy whose paper fixes
its own batch draws it from the same images), one torch thread. A killed or
unfinished run resumes where it stopped, across sessions.

Writes ``tables/proxies/lc1000/live.md`` and ``live.csv``: per proxy the archs
scored and failed, Spearman and Kendall with ``val_accuracy`` (failures left out),
the median engine seconds per arch (its share of the shared network build and
passes; measured on a shared machine, so read it as an order of magnitude), and,
for the proxies whose paper reports NB201 CIFAR-10, the paper's figure and protocol.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.benchmarks import load_suite_zero
from naspred.benchmarks.learning_curves import EMBEDDED_DIR, live_scores_file
from naspred.experiments.proxy_scoring import compute_task_scores, write_live_scores
from naspred.metrics import kendall, spearman
from naspred.reports.tables import format_table, write_csv

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "tables" / "proxies" / "lc1000"
#: groups scored one after another (cheapest first, so a short session finishes some)
PHASES = [
    ["az_nas"],
    ["vkdnw_sgl"],
    ["gradsign"],
    ["swap", "swap_raw"],
    ["synflow", "jacov", "snip", "grad_norm", "nwot", "fisher", "grasp", "epe_nas",
     "l2_norm", "plain", "params", "flops", "zen", "voting"],
    ["zico", "meco", "meco_opt"],
    ["tenas"],
]  # fmt: skip
#: NB201 CIFAR-10 Spearman the papers report, and under which protocol
PAPERS = {
    "az_nas": (0.913, "AZ-NAS authors' tss_general.ipynb: all 15,625 cells, test accuracy"),
    "vkdnw_sgl": (0.815, "VKDNW (CVPR 2025) Table 1, VKDNW_single: all cells, test accuracy"),
    "tenas": (
        0.722,
        "VKDNW Table 1, AZ-NAS's TE-NAS port: all cells, test accuracy; "
        "its #LR probe is constant, so NTK ranks only (README: TE-NAS gap)",
    ),
    # the like-for-like row: the port's TE-NAS ranks by its NTK condition number alone
    "tenas_ntk": (0.722, "VKDNW Table 1 TE-NAS = the port's NTK ranking (README: TE-NAS gap)"),
    "gradsign": (0.765, "VKDNW Table 1 quoting GradSign: all cells, test accuracy"),
}


def live_table(out: Path) -> pd.DataFrame:
    """One row per proxy of the journal's json (see the module docstring)."""
    (task,) = [t for t in load_suite_zero(out) if t.dataset == "cifar10"]
    rows = []
    for name in task.proxy_names:
        values = task.proxies[name]
        ok = np.isfinite(values) & np.isfinite(task.val_accuracy)
        paper, protocol = PAPERS.get(name, (np.nan, ""))
        times = task.proxy_times.get(name)
        rows.append(
            {
                "proxy": name,
                "archs": int(ok.sum()),
                "failed": int((~np.isfinite(values)).sum()),
                "spearman": spearman(task.val_accuracy[ok], values[ok]),
                "kendall": kendall(task.val_accuracy[ok], values[ok]),
                "paper spearman": paper,
                "s/arch (median)": float(np.nanmedian(times)) if times is not None else np.nan,
                "paper protocol": protocol,
            }
        )
    return pd.DataFrame(rows).sort_values("spearman", ascending=False, ignore_index=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite-zero-dir", type=Path, default=ROOT.parent / "shared/data/suite_zero"
    )
    parser.add_argument("--npz", type=Path, default=SHARED / "cifar10_sample.npz")
    parser.add_argument("--phases", type=int, default=len(PHASES), help="groups to run")
    parser.add_argument("--ship", action="store_true", help="ship the scores with the package")
    args = parser.parse_args()
    keys = [k for k in (OUT / "keys.txt").read_text().split("\n") if k]
    (truth,) = [t for t in load_suite_zero(args.suite_zero_dir / "zc_nasbench201.json")
                if t.dataset == "cifar10"]  # fmt: skip
    for proxies in PHASES[: args.phases]:
        compute_task_scores(truth, proxies, out_json=OUT / "zc_nasbench201.json", keys=keys,
                            npz=args.npz, n_jobs=1, torch_threads=1)  # fmt: skip
    table = live_table(OUT)
    write_csv(table, OUT / "live.csv")
    text = format_table(table, ".3f", index=False)
    (OUT / "live.md").write_text(f"# Live proxies on the {len(keys)} LC archs (NB201 CIFAR-10)\n\n"
                                 f"{text}\n")  # fmt: skip
    print(text)
    if args.ship:
        dest = live_scores_file(EMBEDDED_DIR / "nasbench201_cifar10_sample.jsonl")
        shipped = write_live_scores(OUT / "zc_nasbench201.json", dest)
        print(f"shipped {len(shipped)} proxies to {dest.relative_to(ROOT)}")
