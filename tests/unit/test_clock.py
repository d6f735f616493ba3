"""Elapsed time in progress lines."""

from __future__ import annotations

import pytest

from clone_action.clock import elapsed


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0s"),
        (42.9, "42s"),
        (60, "1m00s"),
        (185, "3m05s"),
        (3600, "1h00m"),
        (3720, "1h02m"),
        (90061, "25h01m"),
    ],
)
def test_elapsed(seconds: float, expected: str) -> None:
    assert elapsed(seconds) == expected
