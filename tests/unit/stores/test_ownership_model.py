"""The ownership seam every store kind shares: what a marker says and how a refusal reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hygge.stores.ownership import StoreOwner, StoreOwnershipError, judge_place
from hygge.types import Place

AT = dt.datetime(2024, 5, 17, 8, 30, 5, tzinfo=dt.UTC)


def owner(workspace: str = "shop", entity: str = "orders", root: str = "/ws") -> StoreOwner:
    return StoreOwner.of(Place(Path(root), "sales", entity, workspace=workspace), "sqlite", AT)


def judge(found: StoreOwner | None, names: list[str], *, adopt: bool = False) -> str | None:
    return judge_place(
        "table main.orders",
        expected=owner(),
        found=found,
        contents=names,
        count=len(names),
        adopt=adopt,
        marker_name="table comment",
    )


def test_an_empty_place_or_one_marked_for_the_entity_is_owned():
    assert judge(None, []) is None
    assert judge(owner(root="/moved/ws"), ["rows"]) is None  # a project folder may move


def test_a_place_with_unmarked_content_is_refused_unless_adopted():
    refusal = judge(None, ["row 1"])
    assert refusal is not None
    assert refusal.startswith("table main.orders already holds 1 entry that hygge did not write")
    assert judge(None, ["row 1"], adopt=True) is None


@pytest.mark.parametrize("adopt", [False, True])
def test_a_place_marked_by_another_entity_is_refused_naming_it_even_when_adopting(adopt):
    refusal = judge(owner(workspace="crm", entity="leads"), [], adopt=adopt)
    assert refusal is not None
    assert refusal.startswith(
        "table main.orders belongs to entity sales.leads of workspace 'crm' (/ws), sqlite store, "
        "since 2024-05-17 08:30:05 (its table comment says so)"
    )


def test_a_marker_round_trips_and_garbage_is_refused():
    assert StoreOwner.parse(owner().model_dump_json(), "marker") == owner()
    with pytest.raises(StoreOwnershipError, match="marker is not a marker hygge can read"):
        StoreOwner.parse('{"workspace": 1}', "marker")
