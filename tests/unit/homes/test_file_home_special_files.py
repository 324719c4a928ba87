"""A home lists regular files only: a pipe, socket or device is named, never read or skipped."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from hygge.errors import DataError
from hygge.storage import LocalStorage


def test_a_named_pipe_in_a_home_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id\n1\n")
    os.mkfifo(tmp_path / "pipe.csv")

    with pytest.raises(DataError, match=r"pipe\.csv is a named pipe \(FIFO\), not a regular"):
        list_files(tmp_path, (".csv",))


def test_a_socket_in_a_home_is_refused_naming_it(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock.csv"))
        with pytest.raises(DataError, match=r"sock\.csv is a socket"):
            list_files(tmp_path, (".csv",))
    finally:
        server.close()


def test_a_link_to_a_device_in_a_home_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "zero.csv").symlink_to("/dev/zero")

    with pytest.raises(DataError, match=r"zero\.csv is a device"):
        list_files(tmp_path, (".csv",))


def list_files(folder: Path, extensions: tuple[str, ...]) -> list[str]:
    """The data files a home lists under `folder` (through the storage seam)."""
    infos = LocalStorage(folder).list(skip_hidden=True)
    return [info.key for info in infos if info.key.endswith(extensions)]
