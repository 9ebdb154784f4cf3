"""Summaries of measured durations, the same way in every benchmark."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Summary:
    """Count, mean, p50, p99 and max of durations, in milliseconds."""

    count: int
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of_seconds(cls, seconds: Iterable[float]) -> Summary:
        values = sorted(value * 1000 for value in seconds)
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(
            count=len(values),
            mean_ms=statistics.fmean(values),
            p50_ms=percentile(values, 0.50),
            p99_ms=percentile(values, 0.99),
            max_ms=values[-1],
        )
