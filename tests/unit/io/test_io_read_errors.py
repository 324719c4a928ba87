"""Foreign errors raised while reading a file become DataErrors naming the file and the fix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.io.read_errors import read_error
from hygge.io.readers import infer_schema, read_batches


def read_all(path: Path, fmt: str, options: dict[str, object] | None = None) -> None:
    options = options or {}
    list(read_batches(path, fmt, options, schema=None, start_row=0, batch_size=1000))


def test_a_file_deleted_before_it_is_read_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"

    with pytest.raises(DataError) as raised:
        read_all(path, "csv")

    assert str(raised.value).startswith(f"cannot read csv file {path}: it disappeared")
    assert "run again" in str(raised.value)
    assert isinstance(raised.value.__cause__, FileNotFoundError)


def test_permission_denied_says_who_needs_access() -> None:
    path = Path("/data/landing/locked.parquet")
    denied = PermissionError(13, "Permission denied", str(path))

    error = read_error("parquet", path, denied)

    assert str(error).startswith(f"cannot read parquet file {path}: permission denied")
    assert "read access" in str(error)


def test_another_os_error_names_its_reason_and_the_file() -> None:
    path = Path("/mnt/share/a.csv")

    error = read_error("csv", path, OSError(5, "Input/output error"))

    assert str(error) == (
        f"cannot read csv file {path}: Input/output error. Check the disk or share it is on, "
        "then run again"
    )


def test_an_error_it_does_not_know_keeps_the_readers_words_and_the_file() -> None:
    path = Path("/data/a.csv")

    error = read_error("csv", path, pl.exceptions.ComputeError("something odd\n\nmore"))

    assert str(error) == f"cannot read csv file {path}: something odd"


def test_the_offset_of_a_bad_byte_after_a_character_split_across_blocks_is_exact(
    tmp_path: Path,
) -> None:
    head = b"id,name\n" + b"1,abcdefgh\n" * 95_000
    filler = b"x" * ((1 << 20) - len(head) - 1)  # "é" starts on the last byte of the block
    path = tmp_path / "big.csv"
    path.write_bytes(head + b"2," + filler[2:] + "é".encode() + b"\xff\n")

    with pytest.raises(DataError) as raised:
        read_all(path, "csv")

    offset = len(head) + 2 + len(filler) - 2 + 2
    assert f"{path} line 95002: the byte 0xff at offset {offset}" in str(raised.value)


def test_a_declared_encoding_the_file_does_not_have_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("id,name\n1,caf\xe9\n".encode("latin-1"))

    with pytest.raises(DataError) as raised:
        infer_schema(path, "csv", {"encoding": "ascii"})

    message = str(raised.value)
    assert f"{path} line 2: the byte 0xe9 at offset 13 is not valid ascii" in message
    assert "format_options.encoding says ascii" in message


def test_a_csv_of_blank_lines_says_it_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("\n\n")

    with pytest.raises(DataError) as raised:
        read_all(path, "csv")

    assert str(raised.value) == (
        f"cannot read csv file {path}: it holds no header, only blank lines. Remove it, or give "
        "it a header line"
    )


def test_a_ragged_row_after_a_huge_field_is_still_reported_without_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,x\n1,"' + "y" * 200_000 + '"\n2,3,4\n')

    with pytest.raises(DataError) as raised:
        read_all(path, "csv")

    assert str(raised.value).startswith(
        f"cannot read csv file {path}: a row has more fields than the header."
    )
    assert "truncate_ragged_lines: true" in str(raised.value)


def test_a_file_gone_before_its_line_is_found_keeps_the_readers_words(tmp_path: Path) -> None:
    path = tmp_path / "gone.ndjson"

    error = read_error("ndjson", path, pl.exceptions.ComputeError("error parsing line 0"))

    assert str(error) == f"cannot read ndjson file {path}: error parsing line 0"


def test_permission_denied_in_a_readers_own_error_is_recognised() -> None:
    path = Path("/data/landing/locked.csv")
    denied = pl.exceptions.ComputeError(f"io error: Permission denied (os error 13): {path}")

    error = read_error("csv", path, denied)

    assert str(error).startswith(f"cannot read csv file {path}: permission denied")
