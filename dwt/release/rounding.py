"""How an outward count is shown: suppressed below a threshold, else rounded (docs/DISCLOSURE.md).

Three rules, chosen next to k in schemas/study.yaml (`disclosure.rounding`):
- `none`: the count itself;
- `nearest5`: the nearest multiple of 5 (halves up: 3 -> 5, 7 -> 5, 8 -> 10);
- `midpoint6`: OpenSAFELY's midpoint-6, the middle of the 6-wide bin holding the count:
  1..6 -> 3, 7..12 -> 9, 13..18 -> 15, ... (6 * ceil(n / 6) - 3).
Zero stays zero under every rule (an empty cell discloses no one).

The suppression threshold `t` is the smallest count that is shown at all. It is k, raised where
rounding would turn a shown count into a number below k (midpoint-6 shows 5 and 6 as 3): the
smallest n >= k whose rounded value is >= k. With k = 5 that is 5 for `none` and `nearest5`, 7
for `midpoint6`. A count from 1 to t-1 is shown as "<t", so no number from 1 to k-1 ever appears.

`interval(shown)` is what an attacker learns from a shown value: every true count that the rule
would show that way. The attacker (`dwt.release.attack`) works with these intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dwt.schema import ROUNDING_RULES as RULES

DUTCH = {
    "none": "niet afgerond",
    "nearest5": "afgerond op een veelvoud van 5",
    "midpoint6": "afgerond op het midden van blokken van 6 (1–6 wordt 3, 7–12 wordt 9, …)",
}


@dataclass(frozen=True)
class Rounding:
    """One rounding rule with the study's k."""

    rule: str
    k: int

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rounding rule {self.rule!r} (one of {', '.join(RULES)})")

    def round(self, n: int) -> int:
        """The rounded value of a count (0 stays 0); it ignores the threshold."""
        if n <= 0:
            return 0
        if self.rule == "nearest5":
            return 5 * math.floor(n / 5 + 0.5)
        if self.rule == "midpoint6":
            return 6 * math.ceil(n / 6) - 3
        return n

    @property
    def threshold(self) -> int:
        """t: the smallest count that is shown; 1..t-1 are shown as "<t"."""
        n = self.k
        while self.round(n) < self.k:
            n += 1
        return n

    @property
    def width(self) -> int:
        """How many true counts share one shown value (1 when not rounded)."""
        return {"none": 1, "nearest5": 5, "midpoint6": 6}[self.rule]

    def is_small(self, n: int) -> bool:
        return 1 <= n < self.threshold

    def shown(self, n: int) -> int | str:
        """The count as it leaves the research team: "<t", or the rounded count."""
        return f"<{self.threshold}" if self.is_small(n) else self.round(n)

    def interval(self, shown: int | str) -> tuple[int, int]:
        """The true counts (lo, hi) that are shown as `shown`."""
        if isinstance(shown, str):
            return 1, self.threshold - 1
        if shown == 0:
            return 0, 0
        if self.rule == "nearest5":
            lo, hi = shown - 2, shown + 2
        elif self.rule == "midpoint6":
            lo, hi = shown - 2, shown + 3
        else:
            lo, hi = shown, shown
        return max(lo, self.threshold), hi

    def internal(self, n: int) -> int:
        """The value computed with (curves, shares): the rounded count, also below t."""
        return self.round(n)

    def describe(self) -> str:
        return f"{self.rule} (k = {self.k}, shown from {self.threshold})"

    def dutch(self) -> str:
        return DUTCH[self.rule]
