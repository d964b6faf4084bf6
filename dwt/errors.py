"""The one error hierarchy of dwt, and the one map from an error to an exit code.

Every error dwt raises on purpose derives from `DwtError`; the CLI (`commands.main`) catches
`DwtError` alone, prints `dwt <command>: error: <message>` and exits with the error's
`exit_code`. Exit codes: 0 ok, 1 some input rejected or the data has a problem, 2 usage or
configuration error, 3 the lake is busy (another writer holds it: try again later), 4 the
lake could not be written (disk full, read-only): it is as it was before the run.

Messages carry names, paths and reasons, never a value read from a delivery: Prefect records
the message of every exception a task raises.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_BUSY = 3
EXIT_WRITE = 4


class DwtError(Exception):
    """Base of every error dwt raises on purpose."""

    exit_code = EXIT_DATA


class ConfigError(DwtError):
    """A usage or configuration problem (a flag, a path, the key, an unknown code)."""

    exit_code = EXIT_USAGE


class KeyMismatch(ConfigError):
    """The pseudonym key differs from the one the lake was built with."""


class UnknownEmployer(ConfigError):
    """The KvK number (or advisor code) matches no employer in the directory."""


class RefusedQuery(ConfigError):
    """SQL that `dwt query` does not run (anything but one read-only statement)."""


class LakeBusy(DwtError):
    """Another writer holds the lake for longer than we were willing to wait."""

    exit_code = EXIT_BUSY


class LakeWriteError(DwtError):
    """The file system refused a write (disk full, read-only); the lake is as it was."""

    exit_code = EXIT_WRITE


class NoCuratedData(DwtError):
    """The lake holds no placements (for the requested region / as-of wave)."""


class FileRejected(DwtError):
    """A raw delivery rejected whole; `reason` is value-free (it is counted and shown)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class IdentifierError(DwtError, ValueError):
    """A value that is not a parsed identifier reached pseudonymisation. The message names the
    kind of identifier only: an exception that carries a value is a leak once Prefect (or a
    terminal, a log) records it."""


class ValidationRunError(DwtError):
    """Great Expectations failed to evaluate an expectation (a bug, not bad data)."""
