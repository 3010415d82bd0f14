"""Do our live proxy scores agree with NAS-Bench-Suite-Zero's stored ones?

    naspred proxies compute -t 'nasbench201/*' --suite-zero-dir DIR --keys-file KEYS \\
        --npz ../shared/data/cifar10_sample.npz --out results/live
    python studies/proxy_agreement.py --ours results/live --suite-zero-dir DIR

Writes tables/proxies/agreement.md and .csv: per task and proxy, Spearman(ours,
stored) and both scores' Spearman with val_accuracy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from naspred.benchmarks import load_suite_zero
from naspred.experiments.correlation_stats import proxy_agreement
from naspred.reports.tables import format_table, write_csv

OUT = Path(__file__).resolve().parents[1] / "tables" / "proxies"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=Path, required=True, help="output dir of proxies compute")
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    args = parser.parse_args()
    stored = {t.name: t for t in load_suite_zero(args.suite_zero_dir)}
    parts = []
    for ours in load_suite_zero(args.ours):
        table = proxy_agreement(ours, stored[ours.name])
        parts.append(table.assign(task=ours.name, archs_scored=len(ours)))
    table = pd.concat(parts, ignore_index=True)
    write_csv(table, OUT / "agreement.csv")
    lines = ["# Live proxy scores vs NAS-Bench-Suite-Zero's stored scores", ""]
    for name, part in table.groupby("task", sort=False):
        lines += [f"## {name}", "", format_table(part.drop(columns="task"), ".3f", index=False), ""]
    (OUT / "agreement.md").write_text("\n".join(lines))
