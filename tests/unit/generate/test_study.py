import numpy as np

from dwt.generate.deliveries import not_delivered, region_deliveries
from dwt.generate.study import _simulate
from dwt.schema import load_study

STUDY = load_study()


def _rows_of_first_region(scale: float) -> int:
    truth = _simulate(STUDY, 2017, scale)[0]
    rng = np.random.default_rng([2017, 0, 1])
    deliveries = region_deliveries(STUDY, truth, rng, not_delivered(STUDY))
    return sum(len(d.cells) for d in deliveries.values())


def test_scale_ten_gives_about_ten_times_the_rows():
    ratio = _rows_of_first_region(10) / _rows_of_first_region(1)
    assert 7 < ratio < 13


def test_another_seed_gives_other_people():
    first = _simulate(STUDY, 2017, 1.0)[0].persons["bsn"].tolist()
    again = _simulate(STUDY, 2017, 1.0)[0].persons["bsn"].tolist()
    other = _simulate(STUDY, 2018, 1.0)[0].persons["bsn"].tolist()
    assert first == again
    assert first != other


def test_identifiers_are_unique_across_regions():
    truths = _simulate(STUDY, 2017, 3.0)
    bsns = [b for t in truths for b in t.persons["bsn"]]
    kvks = [k for t in truths for k in t.employers["employer_kvk"]]
    assert len(bsns) == len(set(bsns)) and len(kvks) == len(set(kvks))


def test_advisor_codes_follow_the_pattern_and_differ_between_regions():
    truths = _simulate(STUDY, 2017, 1.0)
    per_region = [set(t.employers["advisor_code"]) for t in truths]
    assert all(len(codes) >= 3 for codes in per_region)
    assert all(c.startswith("AD-") and len(c) == 6 for codes in per_region for c in codes)
    assert len(set().union(*per_region)) == sum(len(c) for c in per_region)
