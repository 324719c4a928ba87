"""`watermark.lookback` is checked when the workspace loads, in the forms the engine reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hygge.config import WatermarkConfig, load_workspace
from hygge.engine.margin import lookback_delta
from hygge.errors import ConfigError

FLOW = """\
home: in
store: out
run_type: incremental
watermark:
  column: at
  key_columns: [id]
"""


def _load_lookback(write_workspace, text: str) -> WatermarkConfig:
    root = write_workspace({"flows/f/flow.yml": FLOW + f"  lookback: {text}\n"})
    watermark = load_workspace(root, env={}).entities[0].watermark
    assert watermark is not None
    return watermark


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("30s", "30s", id="seconds"),
        pytest.param("15m", "15m", id="minutes"),
        pytest.param("2h", "2h", id="hours"),
        pytest.param("1d", "1d", id="days"),
        pytest.param("1w", "1w", id="weeks"),
        pytest.param("1.5h", "1.5h", id="decimal"),
        pytest.param("'2 h'", "2 h", id="space-before-the-unit"),
        pytest.param("'100'", "100", id="digit-string"),
        pytest.param("100", 100, id="whole-number"),
        pytest.param("0", 0, id="zero"),
        pytest.param("90.5", 90.5, id="seconds-as-a-number"),
    ],
)
def test_a_lookback_in_an_accepted_form_loads(write_workspace, text, value):
    assert _load_lookback(write_workspace, text).lookback == value


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("2 hours", "'2 hours'", id="unit-spelt-out"),
        pytest.param("2H", "'2H'", id="upper-case-unit"),
        pytest.param("h", "'h'", id="unit-without-a-number"),
        pytest.param("-5", "-5", id="negative-number"),
        pytest.param("'-1h'", "'-1h'", id="negative-duration"),
        pytest.param(".5h", "'.5h'", id="no-leading-digit"),
        pytest.param("true", "True", id="yaml-bool"),
        pytest.param(".inf", "inf", id="infinite"),
        pytest.param("[1h]", "['1h']", id="a-list"),
    ],
)
def test_an_unparseable_lookback_is_refused_with_file_line_and_the_accepted_forms(
    write_workspace, text, shown
):
    root = write_workspace({"flows/f/flow.yml": FLOW + f"  lookback: {text}\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert str(raised.value) == (
        f"flows/f/flow.yml line 7: watermark.lookback: {shown} is not a lookback: write a number "
        "and a unit, s, m, h, d or w (30s, 15m, 1.5h, 1d, 1w), or a non-negative number "
        "(seconds for a time column, a count for an integer column)"
    )


def test_an_unparseable_lookback_in_an_entity_file_points_into_that_file(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": "home: in\nstore: out\nrun_type: incremental\n",
            "flows/f/entities/ev.yml": "name: ev\nwatermark: {column: at, key_columns: [id], "
            "lookback: 1 day}\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert (raised.value.file, raised.value.line) == ("flows/f/entities/ev.yml", 2)


@pytest.mark.parametrize(
    ("lookback", "kind", "delta"),
    [
        pytest.param("1.5h", "datetime", timedelta(minutes=90), id="duration"),
        pytest.param(" 2 d ", "date", timedelta(days=2), id="spaces"),
        pytest.param(90, "datetime", timedelta(seconds=90), id="seconds"),
        pytest.param("100", "int", 100, id="digit-string-for-an-integer-column"),
        pytest.param(0, "int", 0, id="zero"),
    ],
)
def test_every_accepted_lookback_is_one_the_engine_reads(lookback, kind, delta):
    config = WatermarkConfig(column="at", key_columns=["id"], lookback=lookback)

    assert lookback_delta(config.lookback, kind) == delta
