"""How a flow runs its steps: as Prefect tasks (`as_task`) or as plain calls (`plain`).

Each pipeline's sequence is written once, as a function that takes a `Step`; its Prefect flow
calls it with `as_task`, tests and benchmarks call it with `plain`. Rows carry identifiers
between steps: no task result is ever cached or persisted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Step(Protocol):
    def __call__(self, fn: F, **options: Any) -> F: ...


def plain(fn: F, **options: Any) -> F:
    """The step as a plain call (options such as retries are Prefect's and are ignored)."""
    return fn


def as_task(fn: F, **options: Any) -> F:
    """The step as a Prefect task: no cache, no persisted result; `options` are the task's."""
    wrapped: F = _task(fn, tuple(sorted(options.items())))
    return wrapped


@functools.cache
def _task(fn: Callable[..., Any], options: tuple[tuple[str, Any], ...]) -> Any:
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    decorate: Any = task(cache_policy=NO_CACHE, persist_result=False, **dict(options))
    return decorate(fn)
