"""The `dwt` command line: help, errors, and a start-up that pays for no heavy library."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from commands.main import build_parser, main

COMMANDS = [
    "demo",
    "generate",
    "codebook",
    "ingest",
    "metrics",
    "query",
    "report",
    "export",
    "serve",
]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: dwt" in capsys.readouterr().out


def test_an_unknown_command_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_subcommand_names_an_importable_handler() -> None:
    import importlib

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in subparsers.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        handlers = (
            [k.get_default("handler") for a in nested for k in a.choices.values()]
            if nested
            else [sub.get_default("handler")]
        )
        assert all(handlers), name
        for handler in handlers:
            module, func = handler.split(":")
            assert callable(getattr(importlib.import_module(module), func)), handler


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from commands.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "heavy = ['pandas', 'prefect', 'great_expectations', 'matplotlib', 'lifelines',\n"
        "         'duckdb', 'pyarrow', 'numpy', 'yaml']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_a_configuration_error_exits_2_with_the_command_named(
    tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DWT_PSEUDONYM_KEY", raising=False)
    assert main(["ingest", "--data-dir", str(tmp_path), "--wave", "2016"]) == 2
    assert "dwt ingest: error: unknown wave 2016" in capsys.readouterr().err
