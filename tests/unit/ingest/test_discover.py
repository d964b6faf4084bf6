"""Discovery of raw/<region>/<wave>/<instrument>.<ext>: what is a delivery, what is rejected."""

from __future__ import annotations

from pathlib import Path

from dwt.ingest.discover import discover
from dwt.schema import load_study


def _touch(raw: Path, *paths: str) -> None:
    for p in paths:
        (raw / p).parent.mkdir(parents=True, exist_ok=True)
        (raw / p).write_text("x\n")


def _reasons(raw: Path, **kw: object) -> dict[str, str]:
    return {r.relpath: r.reason for r in discover(raw, load_study(), **kw).rejected}  # type: ignore[arg-type]


def test_a_file_in_the_layout_is_a_delivery(tmp_path: Path) -> None:
    _touch(tmp_path, "haaglanden/2018/placements.csv", "haaglanden/2018/Contacts.XLSX")
    found = discover(tmp_path, load_study())
    assert [(d.region, d.wave, d.instrument, d.ext) for d in found.deliveries] == [
        ("haaglanden", 2018, "contacts", "xlsx"),
        ("haaglanden", 2018, "placements", "csv"),
    ]
    assert found.rejected == []


def test_paths_outside_the_layout_are_rejected_with_their_reason(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "utrecht/2018/placements.csv",
        "haaglanden/2016/placements.csv",
        "haaglanden/2018/verzuim.csv",
        "haaglanden/2018/placements.json",
        "haaglanden/placements.csv",
    )
    assert _reasons(tmp_path) == {
        "utrecht/2018/placements.csv": "unknown region",
        "haaglanden/2016/placements.csv": "unknown wave",
        "haaglanden/2018/verzuim.csv": "unknown instrument",
        "haaglanden/2018/placements.json": "unsupported file type",
        "haaglanden/placements.csv": ("path outside the layout <region>/<wave>/<instrument>.<ext>"),
    }


def test_two_files_for_one_instrument_are_both_rejected(tmp_path: Path) -> None:
    _touch(tmp_path, "haaglanden/2018/contacts.csv", "haaglanden/2018/contacts.sav")
    found = discover(tmp_path, load_study())
    assert found.deliveries == []
    assert {r.reason for r in found.rejected} == {"two files for one instrument/region/wave"}
    assert len(found.rejected) == 2


def test_hidden_and_underscore_names_are_not_deliveries(tmp_path: Path) -> None:
    _touch(tmp_path, "_faults.json", ".DS_Store", "haaglanden/2018/.~lock.placements.csv#")
    found = discover(tmp_path, load_study())
    assert found.deliveries == [] and found.rejected == []


def test_missing_instruments_cover_every_region_up_to_the_latest_delivered_wave(
    tmp_path: Path,
) -> None:
    _touch(tmp_path, "haaglanden/2018/placements.csv")
    missing = discover(tmp_path, load_study()).missing
    assert "haaglanden/2018/contacts" in missing
    assert "west-brabant/2017/placements" in missing
    assert "haaglanden/2018/placements" not in missing
    assert not any("/2019/" in m for m in missing)  # nobody delivered 2019 yet


def test_region_and_wave_filters_narrow_the_scope(tmp_path: Path) -> None:
    _touch(tmp_path, "haaglanden/2018/placements.csv", "west-brabant/2019/placements.csv")
    found = discover(tmp_path, load_study(), region="haaglanden", wave=2018)
    assert [d.relpath for d in found.deliveries] == ["haaglanden/2018/placements.csv"]
    assert all(m.startswith("haaglanden/2018/") for m in found.missing)
