"""One very large delivery for the memory target: `python -m bench.bigdelivery RAW MIB`.

Rewrites `<first region>/2021/placements.csv` under RAW (a generated study) as a file of about
MIB MiB: the generated rows repeated, each copy with a fresh BSN that passes the 11-proef, so
every row is a valid, distinct placement (the key is bsn, employer, start date). The other
files stay as generated. Prints {"path", "bytes", "rows"} as JSON.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def valid_bsns(start: int = 10_000_000) -> Iterator[str]:
    """9-digit numbers that pass the 11-proef, ascending from `start` (the first 8 digits)."""
    n = start
    while True:
        digits = [int(c) for c in f"{n:08d}"]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:  # the last digit d satisfies (sum - d) % 11 == 0
            yield f"{n:08d}{check}"
        n += 1


def write_big_placements(raw: Path, mib: float) -> dict[str, Any]:
    region = sorted(p.name for p in raw.iterdir() if p.is_dir())[0]
    path = raw / region / "2021" / "placements.csv"
    text = path.read_bytes().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    target = int(mib * 2**20)
    bsn_at = 0  # the generator writes the BSN first
    written = 0
    count = 0
    ids = valid_bsns()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        buffer = io.StringIO()
        buffered = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        while written < target:
            row = list(rows[count % len(rows)])
            row[bsn_at] = next(ids)
            buffered.writerow(row)
            count += 1
            if count % 10_000 == 0:
                chunk = buffer.getvalue()
                out.write(chunk)
                written += len(chunk.encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
        out.write(buffer.getvalue())
    return {"path": str(path), "bytes": path.stat().st_size, "rows": count}


def main(argv: list[str]) -> int:
    raw, mib = Path(argv[0]), float(argv[1])
    print(json.dumps(write_big_placements(raw, mib)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
