"""The interview figures of `dwt metrics`, checked against numbers computed by hand on a small
hand-made delivery (real csv and xlsx files, ingested as a user would).

Region haaglanden. Employers E0-E3 have placements (all start 2017-01-01; reference date
2019-12-31, so an ongoing placement lasts 1094 days and 24 months are 730.5 days):
    E0: A ends 2017-07-01 (181 days), B ongoing      E1: C ends 2018-01-01 (365), D ongoing
    E2: F ends 2017-04-01 (90), G ends 2018-07-01 (546), I ongoing      E3: H ongoing
Documents of wave 2019 (interviews.xlsx) and their segments (interview_codes.csv, code paths in
all three notations); OZ-01 is the first coder of a pair (sort order), OZ-02 the second:
    001 interview E0          OZ-01: jobcoach +, werkdruk -, advies 0
                              OZ-02: jobcoach +, gezondheid 0, advies 0
    002 interview E1          OZ-01: buddy +, leidinggevende -, intern -, Mentor (unknown code)
    003 observation E2 (I)    OZ-01: werkdruk -, jobcoach -, advies 0
                              OZ-02: werkdruk -, advies 0
    004 focus group E0 E2 E3  OZ-02: buddy +, uren -   (3 rows, one document)
    005 interview E1          OZ-01: leidinggevende -, advies 0
                              OZ-02: leidinggevende -, advies 0
    006 interview E0          OZ-01: werkdruk -, advies 0
                              OZ-02: uren -, advies 0
    007 interview at E9 (no placement in the region: quarantined), one segment (quarantined)
    009 is in no interviews file: its segment is quarantined
(+ bevorderend, - belemmerend, 0 neutraal). Wave 2018 delivers one interview (E3, no codes file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.deliveries import interview, placement, segment, write_csv, write_xlsx

from commands.main import main
from dwt.analytics.interviews import compute_interview_metrics
from dwt.analytics.metrics import to_json
from dwt.config import Settings
from dwt.validation.runner import Validator
from dwt.zones import ResearchZone
from flows.ingest_sequence import run_ingest

REGION = "haaglanden"
KEY = b"interview-metrics-key"


def _write_delivery(raw: Path) -> None:
    start = {"start_date": "2017-01-01"}
    ended = [("2017-07-01", 0), ("2018-01-01", 1), ("2017-04-01", 2), ("2018-07-01", 2)]
    rows = [
        placement(n, e, **start, end_date=end, end_reason="ontslag")
        for n, (end, e) in enumerate(ended, start=1)
    ]  # A=1, C=2, F=3, G=4
    rows += [placement(n, e, **start) for n, e in ((5, 0), (6, 1), (7, 2), (8, 3))]  # B D I H
    write_csv(raw / REGION / "2019" / "placements.csv", "placements", rows)

    def doc(number: int, employer: int, **kw: str) -> dict[str, str]:
        return interview(number, 2019, employer, **kw)

    focus = {"interview_type": "focusgroep"}
    write_xlsx(
        raw / REGION / "2019" / "interviews.xlsx",
        "interviews",
        [
            doc(1, 0),
            doc(2, 1),
            doc(3, 2, person=7, interview_type="werkplekobservatie", respondent_role="werknemer"),
            doc(4, 0, **focus), doc(4, 2, **focus), doc(4, 3, **focus),
            doc(5, 1, respondent_role="leidinggevende"),
            doc(6, 0),
            doc(7, 9),
        ],
    )  # fmt: skip

    def seg(number: int, coder: str, code: str, valence: str) -> dict[str, str]:
        return segment(number, 2019, code, valence, coder=coder)

    A, B = "OZ-01", "OZ-02"
    bev, bel, neu = "bevorderend", "belemmerend", "neutraal"
    write_csv(
        raw / REGION / "2019" / "interview_codes.csv",
        "interview_codes",
        [
            seg(1, A, "Begeleiding\\Jobcoach", bev), seg(1, A, "Werk > Werkdruk", bel),
            seg(1, A, "Arbeidsdeskundige::Advies", neu),
            seg(1, B, "begeleiding::jobcoach", bev), seg(1, B, "Werknemer\\Gezondheid", neu),
            seg(1, B, "arbeidsdeskundige > advies", neu),
            seg(2, A, "Begeleiding > Buddy / Harrie", bev),
            seg(2, A, "Organisatie::Leidinggevende", bel),
            seg(2, A, "begeleiding\\interne begeleiding", bel),
            seg(2, A, "Begeleiding\\Mentor", bel),
            seg(3, A, "WERK\\WERKDRUK", bel), seg(3, A, "Begeleiding > Jobcoach", bel),
            seg(3, A, "Advies", neu),
            seg(3, B, "werk::werkdruk", bel), seg(3, B, "Arbeidsdeskundige\\Advies", neu),
            seg(4, B, "Begeleiding::Buddy / Harrie", bev), seg(4, B, "Werk\\Arbeidsuren", bel),
            seg(5, A, "Organisatie\\Leidinggevende", bel), seg(5, A, "advies", neu),
            seg(5, B, "organisatie > leidinggevende", bel), seg(5, B, "Advies", neu),
            seg(6, A, "Werk::Werkdruk", bel), seg(6, A, "Advies", neu),
            seg(6, B, "Werk > Arbeidsuren", bel), seg(6, B, "Advies", neu),
            seg(7, A, "Werk\\Werkdruk", bev),
            seg(9, A, "Werk\\Werkdruk", bev),
        ],
        delimiter=";",
    )  # fmt: skip
    write_xlsx(raw / REGION / "2018" / "interviews.xlsx", "interviews", [interview(1, 2018, 3)])


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("interview-metrics")
    _write_delivery(root / "raw")
    return root, run_ingest(Settings(data_dir=root), KEY, validator=Validator())


@pytest.fixture(scope="module")
def ingested(lake: tuple[Path, Any]) -> tuple[Any, dict[str, Any]]:
    root, result = lake
    return result, compute_interview_metrics(ResearchZone(root / "curated"))


def test_the_delivery_is_ingested_and_nothing_is_lost(ingested: tuple) -> None:
    result, _ = ingested
    files = {f["path"]: f for f in result.summary["files"]}
    codes = files[f"{REGION}/2019/interview_codes.csv"]
    # 27 segments: 3 quarantined (unknown code in 002, document 007 quarantined, 009 unknown)
    assert (codes["rows"], codes["curated"], codes["quarantined"]) == (27, 24, 3)
    docs = files[f"{REGION}/2019/interviews.xlsx"]
    assert (docs["rows"], docs["curated"], docs["quarantined"]) == (9, 8, 1)


def test_documents_held_per_wave_and_type(ingested: tuple) -> None:
    _, m = ingested
    docs = m["regions"][REGION]["documents"]
    # 2019: interviews 001 002 005 006, observation 003, focus group 004 (one document, 3 rows)
    assert docs["by_wave"]["2019"] == {
        "interview": 4, "focusgroep": 1, "werkplekobservatie": 1, "total": 6, "delivered": True,
    }  # fmt: skip
    assert docs["by_wave"]["2018"]["interview"] == 1 and docs["by_wave"]["2018"]["total"] == 1
    assert docs["by_wave"]["2017"] == {
        "interview": 0, "focusgroep": 0, "werkplekobservatie": 0, "total": 0, "delivered": False,
    }  # fmt: skip
    # totals over the waves: interviews 1 + 4 = 5; 5 + 1 + 1 = 7 documents
    assert docs["total"] == {"interview": 5, "focusgroep": 1, "werkplekobservatie": 1, "total": 7}
    assert docs["employers"] == 4  # E0-E3 (E9's document was quarantined)


def test_factor_shares_count_employers_over_their_single_employer_documents(
    ingested: tuple,
) -> None:
    _, m = ingested
    factors = m["regions"][REGION]["factors"]
    # coded employers: E0 (001, 006), E1 (002, 005), E2 (003); the focus group 004 is not
    # attributed to any one employer, so E3 is not coded and 004's "buddy +" counts for no one
    assert factors["employers"] == 3
    by = factors["by_factor"]
    # begeleiding: + by E0 (jobcoach) and E1 (buddy); - by E1 (intern) and E2 (jobcoach)
    assert by["begeleiding"] == {
        "bevorderend": 2, "belemmerend": 2, "both": 1,
        "share_bevorderend": pytest.approx(2 / 3), "share_belemmerend": pytest.approx(2 / 3),
    }  # fmt: skip
    # werk: - by E0 (werkdruk, uren) and E2 (werkdruk); E9's "werkdruk +" was quarantined
    assert (by["werk"]["bevorderend"], by["werk"]["belemmerend"], by["werk"]["both"]) == (0, 2, 0)
    assert by["organisatie"]["belemmerend"] == 1  # E1 (leidinggevende)
    # neutral segments name no factor either way
    for factor in ("werknemer", "arbeidsdeskundige", "regelingen"):
        assert (by[factor]["bevorderend"], by[factor]["belemmerend"]) == (0, 0), factor
        assert by[factor]["share_bevorderend"] == 0.0


def test_durability_of_placements_at_employers_naming_a_factor(ingested: tuple) -> None:
    _, m = ingested
    link = m["regions"][REGION]["durability"]["begeleiding"]
    # named (E0, E1): A 181 event, C 365 event, B and D censored at 1094
    #   S(181) = 3/4, S(365) = 3/4 * 2/3 = 1/2; at 730.5 days: S = 1/2, at risk 2 (B, D)
    assert (link["named"]["placements"], link["named"]["events"]) == (4, 2)
    assert link["named"]["retention"]["24"]["estimate"] == pytest.approx(0.5)
    assert link["named"]["retention"]["24"]["at_risk"] == 2
    # not named (E2): F 90 event, G 546 event, I censored at 1094
    #   S(90) = 2/3, S(546) = 2/3 * 1/2 = 1/3; at risk at 730.5 days: 1 (I); E3's H is not coded
    assert (link["not_named"]["placements"], link["not_named"]["events"]) == (3, 2)
    assert link["not_named"]["retention"]["24"]["estimate"] == pytest.approx(1 / 3)
    assert link["not_named"]["retention"]["24"]["at_risk"] == 1
    # log-rank by hand, named group: events at 90, 181, 365, 546 with (n, n_named, d) =
    #   (7, 4, 1), (6, 4, 1), (5, 3, 1), (4, 2, 1); O = 2 (A, C)
    #   E = 4/7 + 4/6 + 3/5 + 2/4 = 491/210; O - E = -71/210
    #   V = 4*3/49 + 4*2/36 + 3*2/25 + 2*2/16 = 42209/44100
    #   chi2 = (71/210)^2 / V = 5041/42209 = 0.119430, df 1, p = 0.729654
    assert link["logrank"]["statistic"] == pytest.approx(5041 / 42209)
    assert link["logrank"]["df"] == 1
    assert link["logrank"]["p"] == pytest.approx(0.729654, abs=1e-6)


def test_double_coding_agreement_per_code(ingested: tuple) -> None:
    _, m = ingested
    dc = m["regions"][REGION]["double_coding"]
    assert dc["documents"] == 4  # 001, 003, 005, 006 (002 and 004 have one coder)
    assert dc["more_than_two_coders"] == 0
    codes = dc["codes"]
    # codes applied in a double-coded document, in code-system order
    assert list(codes) == ["jobcoach", "werkdruk", "uren", "leidinggevende", "gezondheid", "advies"]

    def cells(code: str) -> tuple[int, int, int, int]:
        c = codes[code]
        return c["both"], c["first_only"], c["second_only"], c["neither"]

    # jobcoach over 001 003 005 006: (yes,yes) (yes,no) (no,no) (no,no)
    #   po = 3/4; coder 1 yes 2/4, coder 2 yes 1/4: pe = 1/2*1/4 + 1/2*3/4 = 1/2
    #   kappa = (3/4 - 1/2) / (1 - 1/2) = 0.5
    assert cells("jobcoach") == (1, 1, 0, 2)
    assert codes["jobcoach"]["kappa"] == pytest.approx(0.5)
    # werkdruk: (yes,no) (yes,yes) (no,no) (yes,no): po = 1/2; pe = 3/4*1/4 + 1/4*3/4 = 3/8
    #   kappa = (1/2 - 3/8) / (5/8) = 0.2
    assert cells("werkdruk") == (1, 2, 0, 1)
    assert codes["werkdruk"]["kappa"] == pytest.approx(0.2)
    # leidinggevende: both coders only in 005: po = 1; pe = 1/16 + 9/16 = 5/8; kappa = 1
    assert cells("leidinggevende") == (1, 0, 0, 3)
    assert codes["leidinggevende"]["kappa"] == pytest.approx(1.0)
    # uren and gezondheid: one coder once, po = 3/4 = pe: kappa = 0
    assert cells("uren") == (0, 0, 1, 3) and codes["uren"]["kappa"] == pytest.approx(0.0)
    assert cells("gezondheid") == (0, 0, 1, 3)
    # advies: both coders in all four documents: pe = 1, kappa undefined
    assert cells("advies") == (4, 0, 0, 0) and codes["advies"]["kappa"] is None


def test_one_region_pooled_is_that_region(ingested: tuple) -> None:
    _, m = ingested
    assert m["all"] == m["regions"][REGION]


def test_dwt_metrics_shows_the_exact_block_and_safe_shows_the_release_of_it(
    lake: tuple[Path, Any], ingested: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    from dwt.release.record import small_counts
    from dwt.release.rounding import Rounding

    root, _ = lake
    assert main(["metrics", "--data-dir", str(root), "--json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert exact["interviews"] == json.loads(to_json(ingested[1]))
    assert main(["metrics", "--data-dir", str(root), "--safe", "--json"]) == 0
    safe = json.loads(capsys.readouterr().out)
    block = safe["interviews"]["regions"][REGION]
    assert "double_coding" not in block  # the research team's alone
    assert small_counts(safe, 5) == []
    # 7 documents, rounded (midpoint-6) or hidden to protect a smaller count beside it
    assert block["documents"]["total"]["total"] in (Rounding("midpoint6", 5).shown(7), None)
    assert safe["disclosure"]["attacker"]["passed"] is True
    assert main(["metrics", "--data-dir", str(root)]) == 0
    text = capsys.readouterr().out
    assert f"{REGION}: 7 documents (interview 5, focusgroep 1, werkplekobservatie 1)" in text


def test_the_employer_summary_shows_its_own_interview_codes_and_no_text(
    lake: tuple[Path, Any], tmp_path: Path
) -> None:
    """E0's own conversations are 001 and 006 (the focus group 004 is not one employer's):
    jobcoach + twice (both coders of 001), werkdruk - twice, advies 0 four times, gezondheid 0
    once, arbeidsuren - once; every count is E0's own, sent to E0 alone."""
    from helpers.deliveries import make_kvk
    from openpyxl import load_workbook

    root, _ = lake
    out = tmp_path / "e0.xlsx"
    assert main(["export", "employer", "--data-dir", str(root), "--employer", make_kvk(0),
                 "--out", str(out)]) == 0  # fmt: skip
    book = load_workbook(out)
    rows = [tuple(r) for r in book["Gesprekken"].iter_rows(values_only=True)]
    assert rows[0] == ("Meting", "Factor", "Code", "Bevorderend", "Belemmerend", "Neutraal")
    got = {(r[2], r[3], r[4], r[5]) for r in rows[1:] if r[0] == "2019"}
    assert got == {
        ("Jobcoach", "2", "0", "0"),
        ("Werkdruk", "0", "2", "0"),
        ("Gezondheid", "0", "0", "1"),
        ("Arbeidsuren", "0", "1", "0"),
        ("Advies", "0", "0", "4"),
    }
    text = " ".join(str(v) for ws in book for r in ws.iter_rows(values_only=True) for v in r if v)
    assert "vertelt over" not in text and "Persoon1" not in text and "INT-HL" not in text
