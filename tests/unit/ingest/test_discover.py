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


def test_a_stray_wave_folder_is_an_unknown_wave_not_a_second_delivery(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "haaglanden/2017/placements.csv",
        "haaglanden/02017/placements.csv",
        "haaglanden/\uff12\uff10\uff11\uff17/placements.csv",  # full-width digits
        "haaglanden/2017 /placements.csv",
    )
    found = discover(tmp_path, load_study())
    assert [d.relpath for d in found.deliveries] == ["haaglanden/2017/placements.csv"]
    assert {r.relpath: r.reason for r in found.rejected} == {
        "haaglanden/02017/placements.csv": "unknown wave",
        "haaglanden/\uff12\uff10\uff11\uff17/placements.csv": "unknown wave",
        "haaglanden/2017 /placements.csv": "unknown wave",
    }


def test_a_region_folder_that_is_a_symbolic_link_is_followed(tmp_path: Path) -> None:
    share = tmp_path / "share"  # e.g. an encrypted volume mounted elsewhere
    _touch(share, "2018/placements.csv", "2018/contacts.sav")
    raw = tmp_path / "raw"
    _touch(raw, "west-brabant/2018/placements.csv")
    (raw / "haaglanden").symlink_to(share, target_is_directory=True)
    found = discover(raw, load_study())
    assert [d.relpath for d in found.deliveries] == [
        "haaglanden/2018/contacts.sav",
        "haaglanden/2018/placements.csv",
        "west-brabant/2018/placements.csv",
    ]
    assert "haaglanden/2018/placements" not in found.missing
    assert found.rejected == []


def test_linked_wave_folders_and_files_are_followed(tmp_path: Path) -> None:
    _touch(tmp_path, "elders/placements.csv", "elders/contacts.csv")
    raw = tmp_path / "raw"
    (raw / "haaglanden").mkdir(parents=True)
    (raw / "haaglanden" / "2018").symlink_to(tmp_path / "elders", target_is_directory=True)
    (raw / "haaglanden" / "2019").mkdir()
    (raw / "haaglanden" / "2019" / "contacts.csv").symlink_to(tmp_path / "elders/contacts.csv")
    found = discover(raw, load_study())
    assert [d.relpath for d in found.deliveries] == [
        "haaglanden/2018/contacts.csv",
        "haaglanden/2018/placements.csv",
        "haaglanden/2019/contacts.csv",
    ]


def test_a_broken_link_is_rejected_with_its_reason_not_silently_missing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _touch(raw, "west-brabant/2018/placements.csv")
    (raw / "haaglanden").symlink_to(tmp_path / "unmounted", target_is_directory=True)
    (raw / "west-brabant" / "2018" / "contacts.csv").symlink_to(tmp_path / "gone.csv")
    found = discover(raw, load_study())
    assert {(r.relpath, r.reason, r.region) for r in found.rejected} == {
        ("haaglanden", "unreadable file: broken symbolic link", "haaglanden"),
        ("west-brabant/2018/contacts.csv", "unreadable file: broken symbolic link", "west-brabant"),
    }


def test_a_link_back_into_its_own_folders_is_walked_once(tmp_path: Path) -> None:
    _touch(tmp_path, "haaglanden/2018/placements.csv")
    (tmp_path / "haaglanden" / "2018" / "terug").symlink_to(
        tmp_path / "haaglanden", target_is_directory=True
    )
    found = discover(tmp_path, load_study())
    assert [d.relpath for d in found.deliveries] == ["haaglanden/2018/placements.csv"]
    assert found.rejected == []  # its files were seen already, by their own path
