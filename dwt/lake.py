"""The lake's storage edge: atomic commits of both zones, the file manifest, the ingest lock.

Layout under the data dir:
    curated/      research zone (Parquet + _snapshot.json), pseudonyms only
    restricted/   restricted zone (staged rows with identifiers, directory, notes, quarantine,
                  manifest.json, GX results)
    runs/         one JSON per ingest run (paths, statuses, counts; never row values)
    .dwt.lock     held by the run that is using the lake (an ingest, a report flow, `dwt problems`)

A run never edits a zone in place. `Transaction` hard-links the current zone into a staging
copy (`<zone>.new`), writes changed files there under new inodes, then commits with a journal:
write `.commit` -> swap `<zone>` -> `<zone>.old` and `<zone>.new` -> `<zone>` -> drop the old
copies -> delete `.commit`. `recover()` (run under the lock before any read or write) rolls a
run forward if its journal exists and back otherwise, so a crash at any instant leaves either
the previous state or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.config import Settings
from dwt.errors import ConfigError, LakeBusy, LakeWriteError
from dwt.files import atomic_target, write_atomic
from dwt.zones import SNAPSHOT

if TYPE_CHECKING:
    import pyarrow as pa

ZONES = ("curated", "restricted")
JOURNAL = ".commit"
LOCK_FILE = ".dwt.lock"
MANIFEST = "manifest.json"
# Test hook (tests/integration/test_crash_safety.py): when this environment variable names a
# crash point, the process kills itself with SIGKILL there, so a test can check that a crash
# at that instant leaves the lake readable and whole. Inert when unset. Points:
#   write:<n>            after the n-th file written into the staged copies (write_* calls)
#   journal              after the commit journal is durable, before any zone is swapped
#   moved-aside:<zone>   during commit/roll-forward, after live <zone> was renamed to .old
#   swapped:<zone>       after <zone>.new was renamed to the live <zone>
#   dropped-old          after the .old copies were removed, before the journal is deleted
CRASH_ENV = "DWT_CRASH_AT"
# Test hook (tests/flows/test_postgres_server.py): when DWT_PAUSE_AT names a crash point, the
# process creates the file DWT_PAUSE_FILE names there and waits (at most PAUSE_SECONDS), so a
# test can kill a whole worker at that instant. Inert when unset.
PAUSE_ENV = "DWT_PAUSE_AT"
PAUSE_FILE_ENV = "DWT_PAUSE_FILE"
PAUSE_SECONDS = 300


def _crash_point(label: str) -> None:
    """SIGKILL this process if DWT_CRASH_AT names `label`, or wait there if DWT_PAUSE_AT does
    (tests only; see CRASH_ENV and PAUSE_ENV)."""
    if os.environ.get(CRASH_ENV) == label:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == label and os.environ.get(PAUSE_FILE_ENV):
        Path(os.environ[PAUSE_FILE_ENV]).write_text(f"{os.getpid()}\n")
        time.sleep(PAUSE_SECONDS)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def dumps_json(obj: Any) -> bytes:
    return (
        json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    ).encode()


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a tree by hard links: cheap, and safe because we only ever replace files."""
    if not src.exists():
        dst.mkdir(parents=True, exist_ok=True)
        return
    shutil.copytree(src, dst, copy_function=os.link)


class Lake:
    def __init__(self, settings: Settings):
        self.data_dir = Path(settings.data_dir)
        self.curated = Path(settings.curated_dir)
        self.restricted = Path(settings.restricted_dir)
        self.runs = Path(settings.runs_dir)

    def zone(self, name: str) -> Path:
        return {"curated": self.curated, "restricted": self.restricted}[name]

    # -- layout ------------------------------------------------------------------------
    def check_layout(self) -> None:
        """Refuse, before any work, a layout whose commit could not be atomic.

        The commit replaces each zone folder by a rename inside the data folder; a zone that is
        a mount point (EBUSY), a symbolic link (the staging copy would land outside it) or on
        another file system than the data folder (EXDEV) cannot be swapped, and the research
        zone could be published without its restricted twin.
        """
        for name in ZONES:
            live = self.zone(name)
            if live.is_symlink():
                raise ConfigError(
                    f"the {name} zone {live} is a symbolic link; the commit swaps zone folders "
                    "by rename inside the data folder. Point --data-dir at the real folder."
                )
            if not live.exists():
                continue
            if os.path.ismount(live) or live.stat().st_dev != self.data_dir.stat().st_dev:
                raise ConfigError(
                    f"the {name} zone {live} is a mount point or on another file system than "
                    f"{self.data_dir}; the two zones are committed together by renames inside "
                    "one file system. Mount the volume as the data folder (or a folder above "
                    "it), so that both zones are folders on it."
                )

    # -- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(
        self, owner: str = "", wait_seconds: float = 600.0, poll: float = 0.2
    ) -> Iterator[str | None]:
        """Exclusive lock of the lake on this host. A second run waits up to `wait_seconds`,
        then fails. Across machines the flows hold a Prefect limit first (flows/lake_limit.py).

        The lock file names its holder (`owner`, e.g. the Prefect flow run) while it is held and
        is emptied on release; a name found there on entry is a holder that died without
        releasing (SIGKILL, power loss). It is yielded, so the caller can mark that run crashed.
        """
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise write_error(self.data_dir, exc) from None
        try:
            self.check_layout()
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise LakeBusy(
                            f"another dwt ingest is writing to {self.data_dir} "
                            f"(waited {wait_seconds:.0f} s); try again when it has finished"
                        ) from None
                    time.sleep(poll)
            self.recover()
            stale = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or None
            _set_owner(fd, owner)
            yield stale
            _set_owner(fd, "")
        finally:
            os.close(fd)  # closing releases the flock

    def dead_holder(self) -> str | None:
        """What the lock file says about a holder that died holding the lock, or None.

        Looks without waiting: when no process holds the lock but the file still names a
        holder, that holder ended without releasing it (a process's lock ends with it, on this
        host). None when the lock is held now, or free and clean.
        """
        try:
            fd = os.open(self.data_dir / LOCK_FILE, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    return None
                raise
            return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or None
        finally:
            os.close(fd)

    # -- crash recovery ----------------------------------------------------------------
    def recover(self) -> str:
        """Finish or undo an interrupted commit. Returns what it did (for logs and tests)."""
        journal = self.data_dir / JOURNAL
        if journal.exists():
            for name in ZONES:
                live, new, old = self._paths(name)
                if new.exists():
                    if live.exists() and not old.exists():
                        os.rename(live, old)
                        _crash_point(f"moved-aside:{name}")
                    elif live.exists():
                        shutil.rmtree(live)
                    os.rename(new, live)
                    _crash_point(f"swapped:{name}")
            self._drop_old()
            _crash_point("dropped-old")
            journal.unlink()
            _fsync_dir(self.data_dir)
            return "rolled forward"
        did = "clean"
        for name in ZONES:
            live, new, old = self._paths(name)
            if new.exists():
                shutil.rmtree(new)
                did = "rolled back"
            if old.exists():
                if live.exists():
                    shutil.rmtree(old)
                else:
                    os.rename(old, live)
                did = "rolled back"
        return did

    def _paths(self, name: str) -> tuple[Path, Path, Path]:
        live = self.zone(name)
        return live, live.with_name(live.name + ".new"), live.with_name(live.name + ".old")

    def _drop_old(self) -> None:
        for name in ZONES:
            _, _, old = self._paths(name)
            if old.exists():
                shutil.rmtree(old)

    # -- reading -----------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        path = self.restricted / MANIFEST
        if not path.exists():
            return {"files": {}}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def snapshot(self) -> dict[str, Any]:
        path = self.curated / SNAPSHOT
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def begin(self) -> Transaction:
        return Transaction(self)


def _set_owner(fd: int, owner: str) -> None:
    os.ftruncate(fd, 0)
    if owner:
        os.pwrite(fd, owner.encode() + b"\n", 0)
    os.fsync(fd)


def write_error(data_dir: Path, exc: OSError) -> LakeWriteError:
    """The file system's refusal in one value-free line (its reason, never a file's content)."""
    reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
    return LakeWriteError(
        f"cannot write the lake under {data_dir} ({reason}); it is as it was before this run"
    )


class Transaction:
    """Staged copies of both zones; nothing is visible until `commit()`.

    A write the file system refuses (disk full, read-only) raises `LakeWriteError`; the caller
    aborts, which removes the staged copies, so the live zones are untouched.
    """

    def __init__(self, lake: Lake):
        self.lake = lake
        self.staging: dict[str, Path] = {}
        self.changed = False
        self._writes = 0  # files written so far, for the crash-point hook
        try:
            for name in ZONES:
                live, new, _ = lake._paths(name)
                if new.exists():
                    shutil.rmtree(new)
                self.staging[name] = new
                _link_tree(live, new)
        except OSError as exc:
            self.abort()
            raise write_error(lake.data_dir, exc) from None

    def path(self, zone: str, relative: str | Path) -> Path:
        return self.staging[zone] / relative

    # Writes replace a file's directory entry (a new inode), never the shared, hard-linked inode
    # of the live zone.
    def write_bytes(self, zone: str, relative: str | Path, data: bytes) -> None:
        try:
            write_atomic(self.path(zone, relative), data)
        except OSError as exc:
            raise write_error(self.lake.data_dir, exc) from None
        self._wrote()

    def write_parquet(self, zone: str, relative: str | Path, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        try:  # Arrow's IO errors (a full disk among them) are OSErrors
            with atomic_target(self.path(zone, relative)) as tmp:
                pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        except OSError as exc:
            raise write_error(self.lake.data_dir, exc) from None
        self._wrote()

    def _wrote(self) -> None:
        self.changed = True
        self._writes += 1
        _crash_point(f"write:{self._writes}")

    def remove_tree(self, zone: str, relative: str | Path) -> None:
        target = self.path(zone, relative)
        if target.is_dir():
            shutil.rmtree(target)
            self.changed = True
        elif target.exists():
            target.unlink()
            self.changed = True

    def commit(self) -> None:
        lake = self.lake
        for new in self.staging.values():
            _fsync_dir(new)
        try:
            write_atomic(lake.data_dir / JOURNAL, b"commit\n", durable=True)
        except OSError as exc:
            raise write_error(lake.data_dir, exc) from None
        _fsync_dir(lake.data_dir)
        _crash_point("journal")
        lake.recover()  # the roll-forward path is the commit: one code path for both

    def abort(self) -> None:
        """Drop the staged copies (never the live zones); a copy that cannot be removed now is
        removed by the next run's `recover()`."""
        for new in self.staging.values():
            if new.exists():
                shutil.rmtree(new, ignore_errors=True)
