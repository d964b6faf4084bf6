"""`imports_without_gc`: the collector is paused for heavy imports and restored after."""

from __future__ import annotations

import gc

import pytest

from dwt.imports import imports_without_gc


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_left_as_it_was(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with imports_without_gc():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_collector_is_restored_when_an_import_fails() -> None:
    gc.enable()
    try:
        with pytest.raises(ImportError), imports_without_gc():
            import dwt_no_such_module  # type: ignore[import-not-found]  # noqa: F401
        assert gc.isenabled()
    finally:
        gc.unfreeze()
