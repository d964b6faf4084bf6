import numpy as np
import pandas as pd
import pytest

from dwt.generate.ids import kvk_numbers, valid_bsns
from dwt.generate.simulate import (
    NEVER,
    active_in_wave,
    contacts,
    employee_survey,
    employer_survey,
    region_sizes,
    simulate_region,
    snapshot,
)
from dwt.schema import load_study

STUDY = load_study()


def _truth(n_emp: int = 40, n_per: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.random.default_rng(seed + 1000)
    return simulate_region(
        STUDY, 0, "test-region", rng, valid_bsns(ids, n_per), kvk_numbers(ids, n_emp),
        ["AD-001", "AD-002", "AD-003"],
    )  # fmt: skip


@pytest.fixture(scope="module")
def truth():
    return _truth()


@pytest.fixture(scope="module")
def big():
    return _truth(n_emp=400, n_per=3000, seed=7)


def test_region_sizes_meet_the_recruitment_targets_at_scale_one():
    targets = STUDY.targets
    for seed in range(30):
        n_emp, n_per = region_sizes(np.random.default_rng(seed), 1.0)
        assert targets["employers_min"] <= n_emp <= targets["employers_max"]
        assert n_per >= targets["participants_min"]


def test_region_sizes_grow_with_scale():
    n_emp, n_per = region_sizes(np.random.default_rng(1), 10.0)
    assert n_emp >= 320 and n_per >= 480


def test_every_employer_has_a_placement(truth):
    assert set(truth.placements["_employer"]) == set(range(len(truth.employers)))


def test_a_move_to_other_work_starts_a_new_placement_the_next_day_elsewhere(big):
    pl = big.placements
    moved = pl[pl["end_reason"] == "naar_ander_werk"]
    starts = {
        (p, s): e for p, s, e in zip(pl["_person"], pl["_start"], pl["_employer"], strict=True)
    }
    last = int(np.datetime64(STUDY.reference_date(STUDY.last_wave), "D").astype(int))
    followed = 0
    for person, end, employer in zip(
        moved["_person"], moved["_end"], moved["_employer"], strict=True
    ):
        if end + 1 <= last:
            assert starts[(person, end + 1)] != employer
            followed += 1
    assert followed > 10


def test_job_coach_and_buddy_training_make_placements_last_longer(big):
    pl = big.placements
    ended = pl["_end"] >= 0
    coached = pl["job_coach"] != "geen"
    trained = pl["buddy_training"] != "geen"
    assert ended[coached].mean() < ended[~coached].mean()
    assert ended[trained].mean() < ended[~trained].mean()
    trial = pl["contract_type"] == "proefplaatsing"
    assert ended[trial].mean() > ended[~trial].mean()


def test_coach_level_present_exactly_when_there_is_a_coach(big):
    pl = big.placements
    assert (pl["job_coach_level"].isna() == (pl["job_coach"] == "geen")).all()


def test_snapshots_grow_and_show_no_end_after_their_reference_date(big):
    previous: set = set()
    for wave in STUDY.waves:
        snap = snapshot(STUDY, big, wave)
        ref = np.datetime64(STUDY.reference_date(wave))
        assert (snap["start_date"] <= ref).all()
        assert not (snap["end_date"] > ref).any()
        assert (snap["end_date"].isna() == snap["end_reason"].isna()).all()
        keys = set(zip(snap["bsn"], snap["employer_kvk"], snap["start_date"], strict=True))
        assert len(previous - keys) <= 0.05 * max(1, len(previous))  # only a few dropped
        previous = keys


def test_some_end_dates_are_reported_a_wave_late(big):
    pl = big.placements
    ended = pl["_end"] >= 0
    end_year = pd.to_datetime(pl.loc[ended, "_end"], unit="D").dt.year
    assert (pl.loc[ended, "_known"] == end_year + 1).any()
    assert (pl["_gone"] < NEVER).any()


def test_survey_respondents_are_a_share_of_persons_active_in_the_wave(big):
    wave = STUDY.first_wave + 2
    snap = snapshot(STUDY, big, wave)
    survey = employee_survey(STUDY, big, snap, wave, np.random.default_rng(0))
    active = set(active_in_wave(snap, wave)["bsn"])
    assert set(survey["bsn"]) <= active
    assert 0.6 < len(survey) / len(active) < 0.8
    lo, hi = (np.datetime64(d) for d in STUDY.fieldwork_window(wave))
    assert ((survey["response_date"] >= lo) & (survey["response_date"] <= hi)).all()
    no_buddy = ~survey["buddy_present"].astype(bool)
    assert survey.loc[no_buddy, "buddy_helpful"].isna().all()
    assert survey["work_ability"].isin([-9, -8]).any()


def test_employer_survey_never_counts_more_target_group_than_employees(big):
    wave = STUDY.first_wave + 1
    snap = snapshot(STUDY, big, wave)
    survey = employer_survey(STUDY, big, snap, wave, np.random.default_rng(0))
    assert (survey["employees_target_group"] <= survey["employees_total"]).all()
    assert set(survey["employer_kvk"]) <= set(active_in_wave(snap, wave)["employer_kvk"])


def test_contacts_fall_in_the_wave_year_and_name_people_in_notes(truth):
    wave = STUDY.first_wave + 1
    snap = snapshot(STUDY, truth, wave)
    frame = contacts(STUDY, truth, snap, wave, np.random.default_rng(0))
    assert (frame["contact_date"].dt.year == wave).all()
    per_employer = frame.groupby("employer_kvk").size()
    assert per_employer.between(1, 4).all()
    with_person = frame[frame["bsn"].notna()]
    assert set(with_person["bsn"]) <= set(snap["bsn"])
    names = dict(zip(snap["bsn"], snap["name"], strict=False))
    assert all(names[b] in n for b, n in zip(with_person["bsn"], with_person["notes"], strict=True))
    assert frame["bsn"].isna().any()
