"""Discovery: which raw files are deliveries, which are outside the layout, what is missing.

Layout: raw/<region>/<wave>/<instrument>.<csv|xlsx|sav>. Names starting with '_' or '.'
(the generator's `_faults.json`, editor droppings) are not deliveries and are skipped.

Decisions (pinned by tests/unit/ingest/test_discover.py):
- Region and wave names are checked exactly before files are paired: a wave folder is the
  year as written in the study ("2017"); "02017" or a full-width "２０１７" is an unknown
  wave, so a stray copy never makes the real delivery "two files for one ...".
- Symbolic links are followed (a share mounted into raw/ as a region folder is a delivery
  like any other); a link back into its own ancestors is not walked (those files are seen by
  their own path). A link whose target is gone, and a folder that cannot be listed, are
  rejected with that reason: what cannot be seen is never only "not delivered".
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dwt.schema import Study


@dataclass(frozen=True)
class Delivery:
    path: Path
    relpath: str  # "<region>/<wave>/<file name>", the name used in manifests and summaries
    region: str
    wave: int
    instrument: str
    ext: str


@dataclass(frozen=True)
class Rejection:
    relpath: str
    reason: str
    region: str | None = None
    wave: int | None = None
    instrument: str | None = None


@dataclass
class Discovery:
    deliveries: list[Delivery]
    rejected: list[Rejection]
    missing: list[str]  # "<region>/<wave>/<instrument>"


OUTSIDE_LAYOUT = "path outside the layout <region>/<wave>/<instrument>.<ext>"
TWO_FILES = "two files for one instrument/region/wave"
BROKEN_LINK = "unreadable file: broken symbolic link"
UNLISTABLE = "unreadable folder: cannot list it"


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def _wave_of(name: str, study: Study) -> int | None:
    """The wave a folder name is, written exactly as the study writes it ("2017")."""
    names = {str(w): w for w in study.waves}
    return names.get(name)


def _walk(raw_dir: Path) -> Iterator[tuple[Path, str | None]]:
    """Every entry under raw/ that is a file, following symbolic links: (path, None), or
    (path, reason) for what cannot be read (a broken link, a folder that cannot be listed).
    Hidden names are not entered."""

    def visit(
        folder: Path, ancestors: frozenset[tuple[int, int]]
    ) -> Iterator[tuple[Path, str | None]]:
        try:
            info = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            yield folder, UNLISTABLE
            return
        here = ancestors | {(info.st_dev, info.st_ino)}
        for entry in entries:
            if _hidden(entry.name):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir():  # follows links
                    target = path.stat()
                    if (target.st_dev, target.st_ino) not in here:  # a loop back: once is enough
                        yield from visit(path, here)
                elif entry.is_file():
                    yield path, None
                elif entry.is_symlink():
                    yield path, BROKEN_LINK
            except OSError:
                yield path, BROKEN_LINK

    yield from visit(raw_dir, frozenset())


def discover(
    raw_dir: Path, study: Study, region: str | None = None, wave: int | None = None
) -> Discovery:
    """Walk raw/ once; classify every file. Filters narrow the scope, never the checks."""
    raw_dir = Path(raw_dir)
    candidates: dict[tuple[str, int, str], list[Delivery]] = defaultdict(list)
    rejected: list[Rejection] = []
    regions = set(study.region_codes)
    instruments = set(study.instruments)
    if not raw_dir.is_dir():
        return Discovery([], [], [])
    for path, problem in sorted(_walk(raw_dir)):
        parts = path.relative_to(raw_dir).parts
        rel = "/".join(parts)
        if region is not None and parts[0] != region:
            continue
        if problem is not None:
            if wave is not None and len(parts) > 1 and _wave_of(parts[1], study) != wave:
                continue
            reg = parts[0] if parts[0] in regions else None
            rejected.append(Rejection(rel, problem, region=reg))
            continue
        if len(parts) != 3:
            rejected.append(
                Rejection(rel, "path outside the layout <region>/<wave>/<instrument>.<ext>")
            )
            continue
        reg, wave_dir, name = parts
        stem, _, ext = name.rpartition(".")
        wave_num = _wave_of(wave_dir, study)
        if wave is not None and wave_num != wave:
            continue
        if reg not in regions:
            rejected.append(Rejection(rel, "unknown region"))
        elif wave_num is None:
            rejected.append(Rejection(rel, "unknown wave", region=reg))
        elif stem.lower() not in instruments:
            rejected.append(Rejection(rel, "unknown instrument", region=reg, wave=wave_num))
        elif ext.lower() not in study.raw_extensions:
            rejected.append(Rejection(rel, "unsupported file type", reg, wave_num, stem.lower()))
        else:
            d = Delivery(path, rel, reg, wave_num, stem.lower(), ext.lower())
            candidates[(reg, wave_num, d.instrument)].append(d)
    deliveries: list[Delivery] = []
    for group in candidates.values():
        if len(group) == 1:
            deliveries.append(group[0])
        else:
            rejected.extend(
                Rejection(
                    d.relpath,
                    "two files for one instrument/region/wave",
                    d.region,
                    d.wave,
                    d.instrument,
                )
                for d in group
            )
    return Discovery(
        sorted(deliveries, key=lambda d: d.relpath),
        sorted(rejected, key=lambda r: r.relpath),
        _missing(raw_dir, study, candidates, region, wave),
    )


def _missing(
    raw_dir: Path,
    study: Study,
    candidates: dict[tuple[str, int, str], list[Delivery]],
    region: str | None,
    wave: int | None,
) -> list[str]:
    """Instruments with no file, for every region in scope and every wave up to the latest
    wave delivered anywhere (a wave nobody has delivered yet is not 'missing')."""
    delivered_waves = [w for (_, w, _) in candidates]
    if not delivered_waves:
        return []
    last = max(delivered_waves)
    waves = [wave] if wave is not None else [w for w in study.waves if w <= last]
    regions = [region] if region is not None else study.region_codes
    return [
        f"{r}/{w}/{i}"
        for r in regions
        for w in waves
        for i in study.instruments
        if (r, w, i) not in candidates
    ]
