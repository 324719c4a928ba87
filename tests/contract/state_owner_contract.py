"""The owner part of the StateBackend contract: one state belongs to one workspace."""

from __future__ import annotations

import pytest

from hygge.errors import ConfigError, InjectedFault
from hygge.state.base import StateOwner
from hygge.state.owner import ADOPT_COMMAND, check_state_owner, claim_state
from tests.contract.state_support import FAR

SHOP = StateOwner(name="shop", root="/srv/workspaces/shop")
COPY = StateOwner(name="shop", root="/srv/workspaces/shop-copy")


class StateOwnerContract:
    """Every StateBackend records its owner and refuses another workspace."""

    def test_the_first_claim_records_the_workspace_for_every_process(self, state, open_backend):
        assert state.state_owner() is None

        claim_state(state, SHOP)

        assert open_backend(FAR, 1).state_owner() == SHOP

    def test_another_workspace_is_refused_naming_the_owner_and_what_to_do(self, state):
        claim_state(state, SHOP)

        with pytest.raises(ConfigError) as caught:
            claim_state(state, COPY)

        message = str(caught.value)
        assert state.location() in message
        assert "'shop' at /srv/workspaces/shop," in message
        assert "state: {path:" in message and ADOPT_COMMAND in message
        assert state.state_owner() == SHOP

    def test_checking_the_owner_writes_nothing(self, state):
        check_state_owner(state, SHOP)

        assert state.state_owner() is None

    def test_a_renamed_workspace_keeps_its_state(self, state):
        claim_state(state, SHOP)
        renamed = SHOP.model_copy(update={"name": "shop2"})

        claim_state(state, renamed)

        assert state.state_owner() == renamed

    def test_an_adopted_state_belongs_to_the_new_workspace_only(self, state):
        claim_state(state, SHOP)

        state.set_state_owner(COPY)

        claim_state(state, COPY)
        with pytest.raises(ConfigError):
            claim_state(state, SHOP)

    def test_failed_owner_write_leaves_the_old_owner(self, state, crash_write):
        claim_state(state, SHOP)

        with crash_write(), pytest.raises(InjectedFault):
            state.set_state_owner(COPY)

        assert state.state_owner() == SHOP

    def test_of_two_claims_on_a_fresh_state_the_first_wins(self, state, open_backend):
        first = state.claim_state_owner(SHOP)
        second = open_backend(FAR, 1).claim_state_owner(COPY)

        assert (first, second) == (SHOP, SHOP)
        assert state.state_owner() == SHOP
