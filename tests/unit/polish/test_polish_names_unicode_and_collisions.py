"""Polish keeps letters of every script, and a collision never renames a column already right."""

from __future__ import annotations

import logging

import pytest

from hygge.polish.config import ColumnRules
from hygge.polish.names import normalise_name, plan_renames, remove_special

SNAKE = ColumnRules(case="snake")


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        pytest.param("Größe", "Größe", id="german"),
        pytest.param("café", "café", id="french"),
        pytest.param("cafe\u0301", "cafe\u0301", id="combining-accent"),
        pytest.param("名前", "名前", id="japanese"),
        pytest.param("Имя клиента", "Имя клиента", id="cyrillic-with-space"),
        pytest.param("Größe (cm²)", "Größe cm²", id="paren-word-with-superscript-digit"),
        pytest.param("prix_€-total!", "prix_-total", id="symbols-dropped-separators-kept"),
        pytest.param("数量#١٢", "数量١٢", id="arabic-indic-digits"),
    ],
)
def test_remove_special_keeps_letters_and_digits_of_any_script(name, cleaned):
    assert remove_special(name) == cleaned


@pytest.mark.parametrize(
    ("rules", "name", "expected"),
    [
        pytest.param(SNAKE, "Größe Klasse", "größe_klasse", id="snake"),
        pytest.param(ColumnRules(case="pascal"), "größe klasse", "GrößeKlasse", id="pascal"),
        pytest.param(
            ColumnRules(remove_special=True, remove_spaces=True),
            "名前 (漢字)!",
            "名前漢字",
            id="all",
        ),
    ],
)
def test_non_ascii_names_go_through_every_rule(rules, name, expected):
    assert normalise_name(name, rules) == expected


@pytest.mark.parametrize(
    ("columns", "final"),
    [
        pytest.param(
            ["OrderId", "order_id"],
            {"OrderId": "order_id_1", "order_id": "order_id"},
            id="correct-one-second",
        ),
        pytest.param(
            ["order_id", "OrderId"],
            {"order_id": "order_id", "OrderId": "order_id_1"},
            id="correct-one-first",
        ),
        pytest.param(
            ["Order ID", "OrderId", "order_id"],
            {"Order ID": "order_id_1", "OrderId": "order_id_2", "order_id": "order_id"},
            id="two-others-numbered-in-order",
        ),
        pytest.param(
            ["OrderId", "Order-Id"],
            {"OrderId": "order_id_1", "Order-Id": "order_id"},
            id="none-correct-first-by-name-wins",
        ),
    ],
)
def test_a_collision_never_renames_the_column_whose_name_is_already_right(columns, final):
    assert plan_renames(columns, SNAKE) == final


def test_the_collision_warning_says_which_column_kept_the_name(caplog):
    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        plan_renames(["OrderId", "order_id"], SNAKE)

    [record] = caplog.records
    assert "['OrderId', 'order_id']" in record.getMessage()
    assert "['order_id_1', 'order_id']" in record.getMessage()
