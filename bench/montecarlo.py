"""Time the Monte Carlo forecast: 10,000 runs over 2,000, 10,000 and 100,000 open deals.

    python bench/montecarlo.py [--runs 10000] [--repeat 5] [--sizes 2000,10000,100000]

The deals are synthetic (fixed seed): amounts 1,000 to 2,000,000, probabilities 0-100, spread
over six stages of which one has no history (its deals use their own expected day). The
periods are the next three months. The figure is the median wall time of `repeat` calls of
`simulate_forecast`, input checks included, on one thread: OpenBLAS is held to one unless
OPENBLAS_NUM_THREADS says otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np

from salesflow.analytics.montecarlo import OpenDeal, simulate_forecast

PERIODS = [(0, 30), (31, 61), (62, 91)]
STAGES = 6


def synthetic_pipeline(
    deals: int, rng: np.random.Generator
) -> tuple[list[OpenDeal], list[list[tuple[int, int]]]]:
    close_days: list[list[tuple[int, int]]] = [
        [(int(day), int(count)) for day, count in zip(
            rng.integers(0, 150, 60), rng.integers(1, 30, 60), strict=True
        )]
        for _ in range(STAGES - 1)
    ]  # fmt: skip
    close_days.append([])
    amounts = rng.integers(100_000, 200_000_000, deals)
    probabilities = rng.integers(0, 101, deals)
    stages = rng.integers(0, STAGES, deals)
    expected = rng.integers(-20, 120, deals)
    pipeline = [
        OpenDeal(
            amount=Decimal(int(amounts[n])).scaleb(-2),
            probability=int(probabilities[n]),
            stage=int(stages[n]),
            expected_in_days=int(expected[n]),
        )
        for n in range(deals)
    ]
    return pipeline, close_days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="2000,10000,100000", help="comma-separated")
    options = parser.parse_args()
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · numpy {np.__version__} "
          f"· OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")  # fmt: skip
    rng = np.random.default_rng(42)
    for size in (int(size) for size in options.sizes.split(",")):
        deals, close_days = synthetic_pipeline(size, rng)
        timed = []
        for repeat in range(options.repeat):
            started = time.perf_counter()
            forecast = simulate_forecast(deals, close_days, PERIODS, seed=repeat, runs=options.runs)
            timed.append(time.perf_counter() - started)
        median = statistics.median(timed)
        per_cell = median / (size * options.runs) * 1e9
        print(f"open deals {size:>7,}  {options.runs:,} runs  {median * 1000:8.1f} ms "
              f"(median of {options.repeat}, {per_cell:.2f} ns per deal-run)  "
              f"total P50 {forecast.total.p50:,}")  # fmt: skip


if __name__ == "__main__":
    main()
