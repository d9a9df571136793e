"""Time the Monte Carlo forecast: 10,000 runs over 2,000, 10,000 and 100,000 open deals.

    python bench/montecarlo.py [--runs 10000] [--repeat 5] [--sizes 2000,10000,100000]

Each size is simulated as the forecast does it (the largest `exact_deals` one by one, the
others in aggregate, grouped beforehand as the database groups them) and, once, with every deal
drawn; the figures of the two are compared in standard errors of a percentile estimated from
`runs` runs.

The deals are synthetic (fixed seed): amounts 1,000 to 2,000,000, probabilities 0-100, spread
over six stages of which one has no history (its deals use their own expected day). The
periods are the next three months. The figure is the median wall time of `repeat` calls of
`simulate_forecast`, input checks included, on one thread: OpenBLAS is held to one unless
OPENBLAS_NUM_THREADS says otherwise.
"""

from __future__ import annotations

import argparse
import math
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

from salesflow.analytics.montecarlo import (
    OpenDeal,
    Spread,
    exact_deals,
    group_deals,
    simulate_forecast,
)

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
    runs = options.runs
    for size in (int(size) for size in options.sizes.split(",")):
        deals, close_days = synthetic_pipeline(size, rng)
        largest = sorted(deals, key=lambda deal: -(deal.amount or 0))
        top = exact_deals(size, runs)
        rest = group_deals(largest[top:], close_days)
        timed = []
        for repeat in range(options.repeat):
            started = time.perf_counter()
            forecast = simulate_forecast(
                largest[:top], close_days, PERIODS, seed=repeat, runs=runs, rest=rest
            )
            timed.append(time.perf_counter() - started)
        median = statistics.median(timed)
        print(f"open deals {size:>7,}  {runs:,} runs  {median * 1000:8.1f} ms "
              f"(median of {options.repeat}; {top:,} drawn one by one, "
              f"{forecast.aggregated:,} in aggregate, estimated error "
              f"{forecast.aggregate_error * 100:.3f} points)")  # fmt: skip
        if forecast.aggregated:
            started = time.perf_counter()
            every = simulate_forecast(deals, close_days, PERIODS, seed=99, runs=runs)
            seconds = time.perf_counter() - started
            print(f"  every deal drawn: {seconds * 1000:8.1f} ms; "
                  f"difference in standard errors of the estimate:")  # fmt: skip
            figures = [*zip(forecast.periods, every.periods, strict=True)]
            for name, ours, theirs in [
                *((f"period {n + 1}", a.won, b.won) for n, (a, b) in enumerate(figures)),
                ("total", forecast.total, every.total),
            ]:
                print(f"    {name:<9} {_differences(ours, theirs, runs)}")


def _differences(ours: Spread, theirs: Spread, runs: int) -> str:
    """P10, P50, P90 and mean apart, in standard errors of a difference of two estimates (the
    spread taken as normal, σ ≈ (P90 − P10) / 2.563)."""
    sigma = float(theirs.p90 - theirs.p10) / 2.563
    if not sigma:
        return "no spread"
    parts = []
    for name, p, density in (("P10", 0.1, 0.175), ("P50", 0.5, 0.399), ("P90", 0.9, 0.175)):
        error = math.sqrt(2 * p * (1 - p) / runs) * sigma / density
        difference = float(getattr(ours, name.lower()) - getattr(theirs, name.lower()))
        parts.append(f"{name} {difference / error:+.2f}")
    error = math.sqrt(2 / runs) * sigma
    parts.append(f"mean {float(ours.mean - theirs.mean) / error:+.2f}")
    return "  ".join(parts)


if __name__ == "__main__":
    main()
