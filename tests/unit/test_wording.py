"""Messages count in words a person would write: `1 entity`, `2 entities`, `an int`."""

from __future__ import annotations

import pytest

from hygge.wording import counted, noun_for, with_article


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        pytest.param(1, "entity", "1 entity", id="one-entity"),
        pytest.param(2, "entity", "2 entities", id="two-entities"),
        pytest.param(0, "entity", "0 entities", id="no-entities"),
        pytest.param(1, "row", "1 row", id="one-row"),
        pytest.param(1_200_000, "row", "1,200,000 rows", id="many-rows-with-separators"),
        pytest.param(3, "batch", "3 batches", id="sibilant"),
        pytest.param(2, "key", "2 keys", id="vowel-then-y"),
        pytest.param(2, "interrupted run", "2 interrupted runs", id="phrase"),
    ],
)
def test_a_count_takes_the_singular_only_for_one(count, noun, text):
    assert counted(count, noun) == text


def test_an_irregular_plural_is_given():
    assert counted(2, "child", "children") == "2 children"
    assert counted(1, "child", "children") == "1 child"


@pytest.mark.parametrize(
    ("word", "text"),
    [("int", "an int"), ("string", "a string"), ("date", "a date"), ("Entity", "an Entity")],
)
def test_the_article_fits_the_first_letter(word, text):
    assert with_article(word) == text


def test_the_noun_alone_follows_the_count():
    assert noun_for(1, "column") == "column"
    assert noun_for(3, "column") == "columns"
