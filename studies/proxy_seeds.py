"""Seed spread of the init- and batch-dependent proxies, against the stored scores.

    python studies/proxy_seeds.py     # after the runs below

The runs (the same 491 NAS-Bench-201 archs that Suite-Zero scores, batch 32, the
shared CIFAR-10 sample), under two minibatch protocols:

* shared batch (naspred's default: one minibatch for every arch): seed 0 in
  tables/proxies/live, seeds 1 and 2 in tables/proxies/seeds/seed<N>, made by

      naspred proxies compute -t 'nasbench201/*' --suite-zero-dir DIR --keys-file KEYS \\
          --npz ../shared/data/cifar10_sample.npz -P epe_nas,fisher,grasp,jacov,plain \\
          --seed N --out tables/proxies/seeds/seedN

* fresh batches (a new minibatch per arch, as Suite-Zero's runner draws them):
  the same with ``-t nasbench201/cifar10 --fresh-batches --out
  tables/proxies/fresh/seedN`` for N = 0, 1, 2.

KEYS lists the 491 keys (those with a stored ``synflow`` score). Writes
tables/proxies/seeds.md and .csv: per protocol, task and proxy, each seed's
Spearman with val_accuracy, their mean and standard deviation, the stored
score's, and the mean Spearman(ours, stored), all over the archs every run of
that protocol scored finitely.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.benchmarks import load_suite_zero
from naspred.metrics import spearman
from naspred.reports.tables import format_table, write_csv

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tables" / "proxies"
PROTOCOLS = {
    "shared batch": [
        ROOT / "tables/proxies/live",
        *(ROOT / f"tables/proxies/seeds/seed{s}" for s in (1, 2)),
    ],
    "fresh batches": [ROOT / f"tables/proxies/fresh/seed{s}" for s in (0, 1, 2)],
}
PROXIES = ["epe_nas", "fisher", "grasp", "jacov", "plain"]


def seed_table(runs: list, stored, proxies: list[str]) -> pd.DataFrame:
    """One row per proxy: Spearman with accuracy per run, mean, std, stored, agreement."""
    keys = sorted(set.intersection(*(set(r.keys) for r in runs)))
    acc = stored.val_accuracy[stored.index(keys)]
    rows = []
    for name in proxies:
        ours = [r.proxies[name][r.index(keys)] for r in runs]
        theirs = stored.proxies[name][stored.index(keys)]
        ok = np.isfinite(theirs) & np.all([np.isfinite(v) for v in ours], axis=0)
        per_seed = [spearman(v[ok], acc[ok]) for v in ours]
        rows.append(
            {
                "proxy": name,
                "archs": int(ok.sum()),
                **{f"seed {i}": rho for i, rho in enumerate(per_seed)},
                "mean": float(np.mean(per_seed)),
                "std": float(np.std(per_seed, ddof=1)),
                "stored": spearman(theirs[ok], acc[ok]),
                "mean - stored": float(np.mean(per_seed)) - spearman(theirs[ok], acc[ok]),
                "spearman(ours, stored), mean": float(
                    np.mean([spearman(v[ok], theirs[ok]) for v in ours])
                ),
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    args = parser.parse_args()
    stored = {t.name: t for t in load_suite_zero(args.suite_zero_dir)}
    parts, lines = [], ["# Seed spread of the noisy proxies (Spearman with val_accuracy)", ""]
    for protocol, paths in PROTOCOLS.items():
        present = [p for p in paths if any(p.glob("zc_*.json"))]
        if len(present) < len(paths):
            lines += [f"## {protocol}", "", f"{len(present)} of {len(paths)} runs present", ""]
            continue
        runs = [{t.name: t for t in load_suite_zero(path)} for path in present]
        for name in sorted(set.intersection(*(set(r) for r in runs))):
            table = seed_table([r[name] for r in runs], stored[name], PROXIES)
            parts.append(table.assign(protocol=protocol, task=name))
            lines += [f"## {protocol}: {name}", "", format_table(table, ".3f", index=False), ""]
    write_csv(pd.concat(parts, ignore_index=True), OUT / "seeds.csv")
    (OUT / "seeds.md").write_text("\n".join(lines))
    print("\n".join(lines))
