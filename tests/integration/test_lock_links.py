"""A lock left as a symbolic link to a file that exists but is not a hygge lock (after a
kill -9 mid-run): the run fails saying it is a link, where it points and that `hygge unlock
--force` removes only the link; the file it points to is never written; after the unlock
the next run holds the source once (count and content hash)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_attack_session26_state import (
    _assert_holds_the_source_once,
    _hygge,
    _killed,
    _lock,
)


@pytest.mark.parametrize("content", [b"my notes, not a lock\n", b"\x89PNG\r\n\x1a\n\x00\x01"])
def test_a_lock_linked_to_another_file_is_named_as_a_link_and_unlock_removes_only_it(
    tmp_path: Path, content: bytes
) -> None:
    ws = _killed(tmp_path)
    elsewhere = tmp_path / "notes.txt"
    elsewhere.write_bytes(content)
    _lock(ws).unlink()
    _lock(ws).symlink_to(elsewhere)

    code, said = _hygge(ws, "go")

    assert code == 1, said
    assert "corrupt" not in said, said
    assert f"is a symbolic link to {elsewhere}" in said, said
    assert "a file that is not a hygge lock" in said, said
    assert "hygge unlock --flow shop --entity orders --force" in said, said
    assert "only the link is removed" in said, said
    assert elsewhere.read_bytes() == content  # never written through
    code, unlocked = _hygge(ws, "unlock", "-f", "shop", "-e", "orders", "--force", "--yes")
    assert code == 0, unlocked
    assert not _lock(ws).is_symlink() and elsewhere.read_bytes() == content
    assert _hygge(ws, "go")[0] == 0
    _assert_holds_the_source_once(ws)
    assert elsewhere.read_bytes() == content


def test_without_force_unlock_refuses_the_linked_lock_and_keeps_it(tmp_path: Path) -> None:
    ws = _killed(tmp_path)
    elsewhere = tmp_path / "notes.txt"
    elsewhere.write_text("mine")
    _lock(ws).unlink()
    _lock(ws).symlink_to(elsewhere)

    code, said = _hygge(ws, "unlock", "-f", "shop", "-e", "orders", "--yes")

    assert code != 0 and "is a symbolic link to" in said, said
    assert _lock(ws).is_symlink() and elsewhere.read_text() == "mine"
