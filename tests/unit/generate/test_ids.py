import numpy as np

from dwt.generate.ids import elfproef, invalid_bsn, kvk_numbers, valid_bsns


def test_elfproef_accepts_known_valid_numbers_and_rejects_others():
    assert elfproef("111222333")
    assert elfproef("123456782")
    assert not elfproef("123456781")
    assert not elfproef("000000000")
    assert not elfproef("12345678")


def test_valid_bsns_are_distinct_nine_digits_passing_the_11_proef():
    bsns = valid_bsns(np.random.default_rng(1), 2000)
    assert len(bsns) == len(set(bsns)) == 2000
    assert all(len(b) == 9 and b.isdigit() and elfproef(b) for b in bsns)


def test_some_bsns_start_with_a_zero():
    bsns = valid_bsns(np.random.default_rng(2), 1000)
    share = sum(b.startswith("0") for b in bsns) / len(bsns)
    assert 0.08 < share < 0.25


def test_invalid_bsn_fails_the_11_proef():
    for b in valid_bsns(np.random.default_rng(3), 200):
        assert not elfproef(invalid_bsn(b))


def test_kvk_numbers_are_distinct_eight_digits_some_with_leading_zero():
    kvks = kvk_numbers(np.random.default_rng(4), 1000)
    assert len(set(kvks)) == 1000
    assert all(len(k) == 8 and k.isdigit() and k != "00000000" for k in kvks)
    assert any(k.startswith("0") for k in kvks)


def test_identifiers_are_reproducible_for_a_seed():
    assert valid_bsns(np.random.default_rng(5), 50) == valid_bsns(np.random.default_rng(5), 50)
    assert valid_bsns(np.random.default_rng(5), 50) != valid_bsns(np.random.default_rng(6), 50)
