"""The garbage collector around a `hygge` process: paused while it starts, resumed for the
command's work, and only if `hygge` paused it (a host that turned it off keeps it off)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hygge.cli.collection import pause_collection, resume_collection, skip_final_collections


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    resume_collection()
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_collection_is_paused_until_the_command_is_imported():
    gc.enable()

    pause_collection()
    paused = gc.isenabled()
    resume_collection()

    assert (paused, gc.isenabled()) == (False, True)


def test_what_start_up_built_is_not_walked_again_once_collection_resumes():
    gc.enable()
    pause_collection()

    resume_collection()

    assert gc.get_freeze_count() > 0


def test_a_collector_turned_off_by_the_host_stays_off():
    gc.disable()

    pause_collection()
    resume_collection()
    skip_final_collections()

    assert not gc.isenabled()


def test_on_the_way_out_collection_is_resumed_and_everything_alive_is_frozen():
    gc.enable()
    pause_collection()

    skip_final_collections()

    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
