"""The one atomic file writer: readers see the old bytes or the new ones, never half a file.

Every file dwt writes (zones, manifests, run logs, reports, exports, keys) goes through a temp
file beside its target and a rename. `durable=True` also fsyncs the data before the rename,
for files whose loss after a crash would matter (journals, run logs, keys).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_target(path: Path, *, durable: bool = False, mode: int | None = None) -> Iterator[Path]:
    """A temp path to write `path`'s new content to; renamed over `path` on success.

    On an error the temp file is removed and `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    if mode is not None:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def sha256_of(path: Path) -> str:
    """The sha256 of a file's bytes (hex), read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomic(
    path: Path, data: bytes, *, durable: bool = False, mode: int | None = None
) -> Path:
    """Write `data` to `path` atomically; returns `path`."""
    # "wb" on the temp file keeps the mode it was created with (see `atomic_target`).
    with atomic_target(path, durable=durable, mode=mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)
