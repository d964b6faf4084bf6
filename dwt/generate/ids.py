"""Identifiers of the synthetic study: BSNs that pass the 11-proef, 8-digit KvK numbers (pure).

Both are drawn as whole vectors with numpy; uniqueness is global (one pool for the whole
study), because a person or employer belongs to exactly one region.
"""

from __future__ import annotations

import numpy as np

_BSN_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def elfproef(bsn: str) -> bool:
    """True when a 9-digit BSN passes the 11-proef (and is not all zeros)."""
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    digits = [int(c) for c in bsn]
    total = sum(d * w for d, w in zip(digits[:8], _BSN_WEIGHTS.tolist(), strict=True))
    return (total - digits[8]) % 11 == 0 and any(digits)


def _digits_to_str(digits: np.ndarray) -> list[str]:
    """Rows of digits 0-9 -> strings, without a Python loop over characters."""
    chars = (digits.astype(np.uint8) + ord("0")).tobytes()
    width = digits.shape[1]
    return [chars[i : i + width].decode("ascii") for i in range(0, len(chars), width)]


def valid_bsns(rng: np.random.Generator, n: int, leading_zero_share: float = 0.15) -> list[str]:
    """`n` distinct BSNs passing the 11-proef; about `leading_zero_share` start with 0.

    The check digit d9 is solved from d1..d8 (d9 = weighted sum mod 11); draws where that
    would be 10 have no valid check digit and are dropped, as are repeats.
    """
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        m = max(16, int((n - len(out)) * 1.3))
        digits = rng.integers(0, 10, size=(m, 9))
        digits[:, 0] = np.where(rng.random(m) < leading_zero_share, 0, rng.integers(1, 10, m))
        check = (digits[:, :8] @ _BSN_WEIGHTS) % 11
        ok = (check < 10) & (digits[:, :8].sum(axis=1) > 0)
        digits = digits[ok]
        digits[:, 8] = check[ok]
        for s in _digits_to_str(digits):
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out[:n]


def invalid_bsn(valid: str) -> str:
    """A 9-digit number failing the 11-proef: the check digit of a valid BSN, shifted by one."""
    return valid[:8] + str((int(valid[8]) + 1) % 10)


def kvk_numbers(rng: np.random.Generator, n: int, leading_zero_share: float = 0.12) -> list[str]:
    """`n` distinct 8-digit KvK numbers; about `leading_zero_share` start with 0."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        m = max(16, int((n - len(out)) * 1.2))
        low = rng.random(m) < leading_zero_share
        values = np.where(
            low, rng.integers(1_000_000, 10_000_000, m), rng.integers(10**7, 10**8, m)
        )
        for v in values.tolist():
            s = f"{v:08d}"
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out[:n]
