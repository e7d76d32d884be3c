"""The phrase table: real news phrasings, and invariants that hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from dataset.rules import phrases
from dataset.rules.phrases import PhraseError, read

# (phrase as written in news reports, language, (low, best, high, acled))
PHRASINGS = [
    ("2", "en", (2, 2, 2, 2)),
    ("two", "en", (2, 2, 2, 2)),
    ("Two", "en", (2, 2, 2, 2)),
    ("twenty-three", "en", (23, 23, 23, 23)),
    ("twenty three", "en", (23, 23, 23, 23)),
    ("a dozen", "en", (12, 12, 12, 12)),
    ("a hundred", "en", (100, 100, 100, 100)),
    ("one hundred and twelve", "en", (112, 112, 112, 112)),
    ("1,200", "en", (1200, 1200, 1200, 1200)),
    ("two dozen", "en", (24, 24, 24, 24)),
    ("two of its soldiers", "en", (2, 2, 2, 2)),
    ("a soldier", "en", (1, 1, 1, 1)),
    ("one civilian", "en", (1, 1, 1, 1)),
    ("about 20", "en", (16, 20, 24, 20)),
    ("approximately 20 rebels", "en", (16, 20, 24, 20)),
    ("around 50 people", "en", (40, 50, 60, 50)),
    ("some 30 militants", "en", (24, 30, 36, 30)),
    ("roughly 100", "en", (80, 100, 120, 100)),
    ("an estimated 40", "en", (32, 40, 48, 40)),
    ("about a dozen", "en", (9, 12, 15, 12)),
    ("20 or so", "en", (16, 20, 24, 20)),
    ("nearly 30", "en", (24, 30, 30, 30)),
    ("almost 50 people", "en", (40, 50, 50, 50)),
    ("up to 40", "en", (20, 40, 40, 40)),
    ("as many as 60", "en", (30, 60, 60, 60)),
    ("at least 10", "en", (10, 10, 20, 10)),
    ("at least 15 civilians", "en", (15, 15, 30, 15)),
    ("no fewer than 12", "en", (12, 12, 24, 12)),
    ("no less than 8", "en", (8, 8, 16, 8)),
    ("10 or more", "en", (10, 10, 20, 10)),
    ("20+", "en", (20, 20, 40, 20)),
    ("at least a dozen", "en", (12, 12, 24, 12)),
    ("more than 30", "en", (31, 31, 60, 31)),
    ("over 100", "en", (101, 101, 200, 101)),
    ("well over 100", "en", (101, 101, 200, 101)),
    ("upwards of 50", "en", (51, 51, 100, 51)),
    ("fewer than 10", "en", (1, 5, 9, 1)),
    ("less than 5", "en", (1, 3, 4, 1)),
    ("between 10 and 15", "en", (10, 12, 15, 10)),
    ("between ten and fifteen soldiers", "en", (10, 12, 15, 10)),
    ("10 to 15", "en", (10, 12, 15, 10)),
    ("10-15", "en", (10, 12, 15, 10)),
    ("10–15", "en", (10, 12, 15, 10)),
    ("from 20 to 30", "en", (20, 25, 30, 20)),
    ("two or three", "en", (2, 2, 3, 2)),
    ("a few", "en", (2, 3, 5, 3)),
    ("a handful of", "en", (2, 3, 5, 3)),
    ("several", "en", (3, 5, 9, 3)),
    ("several soldiers", "en", (3, 5, 9, 3)),
    ("some soldiers", "en", (3, 5, 9, 3)),
    ("a number of", "en", (3, 5, 9, 3)),
    ("many", "en", (3, 10, 50, 3)),
    ("numerous", "en", (3, 10, 50, 3)),
    ("dozens", "en", (12, 24, 99, 12)),
    ("dozens of dead and wounded", "en", (12, 24, 99, 12)),
    ("at least dozens", "en", (12, 24, 99, 12)),
    ("scores", "en", (20, 40, 99, 20)),
    ("scores of people", "en", (20, 40, 99, 20)),
    ("tens", "en", (10, 20, 99, 10)),
    ("hundreds", "en", (100, 200, 999, 100)),
    ("hundreds of civilians", "en", (100, 200, 999, 100)),
    ("thousands", "en", (1000, 2000, 9999, 1000)),
    ("several hundred", "en", (300, 500, 900, 300)),
    ("a few dozen", "en", (24, 36, 60, 36)),
    ("tens of thousands", "en", (10000, 20000, 99000, 10000)),
    ("no one", "en", (0, 0, 0, 0)),
    ("none", "en", (0, 0, 0, 0)),
    ("nobody", "en", (0, 0, 0, 0)),
    ("no casualties", "en", (0, 0, 0, 0)),
    ("no deaths", "en", (0, 0, 0, 0)),
    ("zero", "en", (0, 0, 0, 0)),
    ("0", "en", (0, 0, 0, 0)),
    ("a total of 12", "en", (12, 12, 12, 12)),
    ("au moins 15", "fr", (15, 15, 30, 15)),
    ("au moins 15 morts", "fr", (15, 15, 30, 15)),
    ("une vingtaine", "fr", (16, 20, 24, 20)),
    ("une vingtaine de soldats", "fr", (16, 20, 24, 20)),
    ("une centaine de morts", "fr", (80, 100, 120, 100)),
    ("des dizaines", "fr", (10, 20, 99, 10)),
    ("plus de 30", "fr", (31, 31, 60, 31)),
    ("plus d'une centaine", "fr", (101, 101, 200, 101)),
    ("près de 20", "fr", (16, 20, 20, 20)),
    ("environ 40", "fr", (32, 40, 48, 40)),
    ("entre 10 et 15", "fr", (10, 12, 15, 10)),
    ("vingt-trois soldats", "fr", (23, 23, 23, 23)),
    ("plusieurs", "fr", (3, 5, 9, 3)),
    ("aucun", "fr", (0, 0, 0, 0)),
]


def test_there_are_at_least_sixty_phrasings():
    assert len(PHRASINGS) >= 60


@pytest.mark.parametrize(("phrase", "language", "expected"), PHRASINGS, ids=[p for p, _, _ in PHRASINGS])
def test_real_world_phrasings(phrase, language, expected):
    r = read(phrase, language)
    assert (r.low, r.best, r.high, r.acled) == expected


@pytest.mark.parametrize("phrase", [
    "heavy casualties", "huge losses", "significant casualties", "2 killed and 5 wounded", "10 and 15",
    "between 15 and 10", "casualties", "soldiers", "", "   ", "three point five", "1.5", "12 dozen dozen 3",
])
def test_unreadable_phrases_are_errors_not_zero(phrase):
    with pytest.raises(PhraseError):
        read(phrase)


def test_rule_table_is_versioned():
    assert phrases.table().version


@settings(deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_read_in_order_or_refused_cleanly(text):
    try:
        r = read(text)
    except PhraseError:
        return
    assert 0 <= r.low <= r.best <= r.high
    assert r.low <= r.acled <= r.high


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=999_999))
def test_number_words_round_trip(n):
    r = read(num2words(n))
    assert (r.low, r.best, r.high, r.acled) == (n, n, n, n)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=9999))
def test_exact_numbers_are_points(n):
    r = read(str(n))
    assert r.low == r.best == r.high == r.acled == n


MODIFIERS = ["about", "approximately", "around", "some", "nearly", "almost", "up to", "roughly",
             "at least", "more than", "over", "fewer than", "no fewer than", "as many as"]


@settings(deadline=None)
@given(st.sampled_from(MODIFIERS), st.integers(min_value=2, max_value=100_000),
       st.sampled_from(["", " people", " soldiers", " of them"]))
def test_modified_numbers_are_ordered_and_bracket_n(modifier, n, noun):
    r = read(f"{modifier} {n}{noun}")
    assert 0 <= r.low <= r.best <= r.high
    assert r.low <= r.acled <= r.high
    if modifier in ("at least", "no fewer than"):
        assert r.low == n
    if modifier in ("about", "approximately", "around", "roughly", "some"):
        assert r.low <= n <= r.high and r.best == n


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_between_a_and_b_gives_a_and_b(a, b):
    lo, hi = min(a, b), max(a, b)
    r = read(f"between {lo} and {hi}")
    assert (r.low, r.high, r.acled) == (lo, hi, lo)
    assert lo <= r.best <= hi
