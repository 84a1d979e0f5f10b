"""The cost of promotion evidence: ``.venv/bin/python -m benchmarks.bench_promotion``.

Bakes a default (uv) project from this checkout and runs ``make install``. On a seeded
400,000-row table of 30 numeric features (100,000 held-out rows), it trains a champion,
promotes it and trains a worse challenger, then times as whole processes, in turn (A B A B):

- **slices**: ``promote`` with no slice against ``promote`` with 10 slices (``x0`` cut into
  10 quantile bins), each slice compared by the same paired bootstrap as the whole;
- **permutation importance**: ``train`` with the default importance settings (1,000 rows,
  5 repeats: 150 scorings of 1,000 rows for 30 features) against ``train`` with it off
  (``importance.repeats=0``).

Prints the median over ``--runs`` runs (default 3) and the median of the pairwise ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks.bench_growing import CONFIG, MODELS, PROMOTE_ROWS, cli, in_project, project_from

SLICES = "promotion.slices=[x0]"
TEN_BINS = "promotion.slice_bins=10"
NO_IMPORTANCE = "importance.repeats=0"


def side_by_side(label: str, first: tuple[str, list[str]], second: tuple[str, list[str]],
                 project: Path, store: Path, runs: int, expect: int) -> None:  # fmt: skip
    """Time two commands in turn; print their medians and the median ratio first / second."""
    from benchmarks.common import report

    samples: dict[str, list[float]] = {first[0]: [], second[0]: []}
    for _ in range(runs):
        for name, arguments in (first, second):
            samples[name].append(cli(project, *arguments, store=store, expect=expect))
    for name, values in samples.items():
        report(f"{label}: {name}", statistics.median(values), values)
    ratios = [a / b for a, b in zip(samples[first[0]], samples[second[0]], strict=True)]
    print(f"    {first[0]} / {second[0]}: median {statistics.median(ratios):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    from benchmarks.common import TEMPLATE_DIR

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        project = project_from(TEMPLATE_DIR, scratch / "now")
        table = scratch / "table.parquet"
        in_project(project, "--table", str(table), "--rows", str(PROMOTE_ROWS))
        store = scratch / "mlflow.db"
        configs = {c: scratch / f"config-{c}.yaml" for c in MODELS}
        for c, path in configs.items():
            path.write_text(CONFIG.format(path=table, model=MODELS[c]), encoding="utf-8")
        champion, worse = str(configs["1.0"]), str(configs["worse"])
        cli(project, "train", champion, store=store)
        cli(project, "promote", champion, store=store)
        cli(project, "train", worse, store=store)
        held_out = f"{PROMOTE_ROWS // 4:,} held-out rows"
        # Exit status 3: the worse challenger loses every time, so each run does the same.
        side_by_side(
            f"promote on {held_out}",
            ("10 slices", ["promote", worse, SLICES, TEN_BINS, "--version", "2"]),
            ("no slice", ["promote", worse, "--version", "2"]),
            project,
            store,
            arguments.runs,
            expect=3,
        )
        side_by_side(
            f"train on {PROMOTE_ROWS - PROMOTE_ROWS // 4:,} rows",
            ("with permutation importance", ["train", champion]),
            ("without", ["train", champion, NO_IMPORTANCE]),
            project,
            store,
            arguments.runs,
            expect=0,
        )


if __name__ == "__main__":
    main()
