"""The built-in attacker over whole releases of generated studies: clean and faulty, several
seeds, and a small scale (0.3) where small cells abound. Real ingest (GX), real lake, real
reports for one of them, and `dwt release check` on the folder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dwt.analytics.frames import read_frames
from dwt.analytics.metrics import jsonable, metrics_from_frames
from dwt.config import Settings
from dwt.generate import generate_study
from dwt.release import release_from_frames, rounding_for
from dwt.release.attack import attack
from dwt.release.decide import published_from_tree
from dwt.release.record import FIGURES, RECORD, check, small_counts
from dwt.release.registry import build, integer_leaves

KEY = b"release-test-key-not-secret"
STUDIES = {
    "clean-2017": (2017, 1.0, False),
    "faulty-11": (11, 0.5, True),
    "small-5": (5, 0.3, False),
    "small-faulty-23": (23, 0.3, True),
}


@pytest.fixture(scope="module")
def validator() -> Any:
    from dwt.validation.runner import Validator

    return Validator()


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory, validator: Any) -> dict[str, Path]:
    from flows.ingest_sequence import run_ingest

    out = {}
    for name, (seed, scale, faults) in STUDIES.items():
        root = tmp_path_factory.mktemp(name)
        generate_study(root / "raw", seed=seed, scale=scale, faults=faults)
        run_ingest(Settings(data_dir=root), KEY, validator=validator)
        out[name] = root
    return out


@pytest.fixture(scope="module")
def releases(lakes: dict[str, Path]) -> dict[str, Any]:
    from dwt.analytics.interviews import read_interview_frames

    out = {}
    for name, root in lakes.items():
        zone = Settings(data_dir=root).research_zone()
        frames, interviews = read_frames(zone, None), read_interview_frames(zone)
        out[name] = (frames, release_from_frames(frames, rounding_for(5), interviews), interviews)
    return out


@pytest.mark.parametrize("name", list(STUDIES))
def test_the_attacker_pins_no_protected_count_of_the_release(releases: Any, name: str) -> None:
    _, release, _ = releases[name]
    assert release.primary > 0, "a study without small cells would not test much"
    assert release.verdict is not None and release.verdict.passed, release.verdict.summary()
    for finding in release.verdict.findings:
        assert finding.candidates >= finding.required
        assert finding.high > finding.low  # never pinned to one value


@pytest.mark.parametrize("name", list(STUDIES))
def test_no_count_from_1_to_k_minus_1_appears_in_the_published_figures(
    releases: Any, name: str
) -> None:
    _, release, _ = releases[name]
    assert small_counts(release.safe, 5) == []
    text = json.dumps(release.safe)
    assert '"<7"' in text  # midpoint-6 with k = 5 shows counts from 7 on


@pytest.mark.parametrize("name", list(STUDIES))
def test_the_published_tree_read_back_gives_the_attacker_the_same_release(
    releases: Any, name: str
) -> None:
    _, release, _ = releases[name]
    tree = json.loads(json.dumps(release.safe))
    published = published_from_tree(tree)
    assert published.cells == release.published.cells
    assert sorted(published.sums) == sorted(release.published.sums)
    assert len(published.curves) == len(release.published.curves)
    assert attack(published).summary() == release.verdict.summary()


def test_every_integer_of_the_metrics_is_a_registered_cell(releases: Any) -> None:
    from dwt.analytics.interviews import interview_metrics

    frames, _, interviews = releases["faulty-11"]
    exact = jsonable(metrics_from_frames(frames))
    exact["interviews"] = jsonable(interview_metrics(frames, *interviews))
    registered = build(exact).values
    assert any(p[0] == "interviews" for p in registered)
    missing = [p for p, _ in integer_leaves(exact) if p not in registered]
    assert missing == []


def test_the_release_leaves_the_exact_figures_exact(releases: Any) -> None:
    from dwt.release.decide import decide

    frames, _, _ = releases["small-5"]
    exact = jsonable(metrics_from_frames(frames))
    before = copy.deepcopy(exact)
    decide(exact, None, rounding_for(5), run_attacker=False)
    assert exact == before


def test_a_report_run_writes_a_release_record_that_dwt_release_check_passes(
    lakes: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from commands.main import main
    from flows.report import run_reports

    zone = Settings(data_dir=lakes["small-faulty-23"]).research_zone()
    out = tmp_path / "reports"
    summary = run_reports(zone, out, 5, formats=("html",))
    assert summary["release"]["passed"] is True
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    listed = {f["file"] for f in record["files"]}
    assert FIGURES in listed and "index.html" in listed
    assert {p.name for p in out.iterdir()} - listed == {RECORD}
    assert record["rounding"] == "midpoint6" and record["k"] == 5 and record["threshold"] == 7
    assert record["counts"]["suppressed"] > 0 and record["counts"]["rounded"] > 0
    assert main(["release", "check", str(out)]) == 0
    assert "passes" in capsys.readouterr().out
    # a report changed after the record was written no longer matches it
    html = next(out.glob("duurzaamheid-*.html"))
    html.write_bytes(html.read_bytes() + b"<!-- edited -->")
    passed, problems, _ = check(out)
    assert not passed and any("sha256 differs" in p for p in problems)
    assert main(["release", "check", str(out)]) == 1
