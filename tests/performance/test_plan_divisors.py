"""The divisors the layout search enumerates (``estimator.divisors``, ``plan._divisors``) against a plain
scan, and the expert-parallel degrees (common divisors through the gcd)."""

from __future__ import annotations

import math

import pytest

from megacluster.performance.estimator import divisors
from megacluster.performance.plan import _divisors


@pytest.mark.parametrize("n", [*range(1, 400), 4096, 98_304, 99_999, 100_000, 131_072, 997 * 991])
def test_divisors_are_a_plain_scans(n: int) -> None:
    scan = [d for d in range(1, n + 1) if n % d == 0]
    assert list(divisors(n)) == scan
    for limit in (None, 1, 8, 16, 32, 64):
        top = n if limit is None else min(n, limit)
        assert _divisors(n, limit) == [d for d in scan if d <= top]


def test_common_divisors_through_the_gcd() -> None:
    for ranks in range(1, 600):
        for experts in (1, 8, 16, 64, 128, 256, 384):
            common = [e for e in divisors(ranks) if experts % e == 0]
            assert list(divisors(math.gcd(ranks, experts))) == common
