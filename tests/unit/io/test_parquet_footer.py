"""A parquet file's rows come from its footer, decoded in Python: the same count as polars
gives, for files of any writer and shape; anything the reader does not decode goes to polars."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from hygge.errors import DataError
from hygge.io import parquet_footer
from hygge.io.parquet_footer import footer_row_count
from hygge.io.readers import parquet_row_count

FRAMES = {
    "one row": pl.DataFrame({"id": [1]}),
    "no rows": pl.DataFrame({"id": []}, schema={"id": pl.Int64}),
    "nested and booleans": pl.DataFrame(
        {"l": [[1, 2], [3], None], "s": [{"a": 1, "b": "x"}, None, {"a": 2, "b": "y"}]}
    ).with_columns(flag=pl.Series([True, False, None])),
    # 300 columns: a footer longer than the first read from the end of the file
    "wide": pl.DataFrame({f"column_{i}": range(1_000) for i in range(300)}),
}


def polars_count(path: Path) -> int:
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


@pytest.mark.parametrize("name", list(FRAMES))
@pytest.mark.parametrize("writer", ["polars", "pyarrow"])
def test_the_footer_gives_the_rows_polars_counts(tmp_path: Path, name: str, writer: str) -> None:
    path = tmp_path / "part.parquet"
    frame = FRAMES[name]
    if writer == "polars":
        frame.write_parquet(path, row_group_size=7, statistics=True)
    else:
        pq.write_table(frame.to_arrow(), path, row_group_size=7)

    assert footer_row_count(path) == polars_count(path) == frame.height


def test_a_file_of_many_row_groups_counts_every_row(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    pl.DataFrame({"x": range(2_500_000)}).write_parquet(path, row_group_size=1_000)

    assert footer_row_count(path) == 2_500_000


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty file"),
        pytest.param(b"PAR1 not thrift PAR1", id="garbage between magics"),
        pytest.param(b"PAR1" + b"\x00" * 20 + b"PARE", id="encrypted footer magic"),
        pytest.param(b"PAR1\x15\x02\x19" + (5).to_bytes(4, "little") + b"PAR1", id="truncated"),
    ],
)
def test_a_footer_it_cannot_decode_is_left_to_polars(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.parquet"
    path.write_bytes(content)

    assert footer_row_count(path) is None


def test_a_missing_file_is_left_to_polars(tmp_path: Path) -> None:
    assert footer_row_count(tmp_path / "gone.parquet") is None


def test_a_file_that_is_not_parquet_still_fails_with_polars_message_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.parquet"
    path.write_bytes(b"these are notes, not a parquet file")

    with pytest.raises(DataError) as raised:
        parquet_row_count(path)

    assert str(path) in str(raised.value)


def test_a_footer_polars_must_read_is_counted_by_polars(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "part.parquet"
    pl.DataFrame({"id": [1, 2, 3]}).write_parquet(path)
    monkeypatch.setattr("hygge.io.readers.footer_row_count", lambda path: None)

    assert parquet_row_count(path) == 3


def _count_decodes(monkeypatch) -> list[int]:
    decoded: list[int] = []
    real = parquet_footer._num_rows

    def counting(footer: bytes) -> int:
        decoded.append(1)
        return real(footer)

    monkeypatch.setattr(parquet_footer, "_num_rows", counting)
    return decoded


def test_a_file_asked_twice_unchanged_has_its_footer_decoded_once(tmp_path, monkeypatch) -> None:
    path = tmp_path / "part.parquet"
    pl.DataFrame({"id": [1, 2, 3]}).write_parquet(path)
    decoded = _count_decodes(monkeypatch)

    assert [footer_row_count(path), footer_row_count(path)] == [3, 3]
    assert len(decoded) == 1


def test_a_file_replaced_or_rewritten_in_place_is_counted_again(tmp_path, monkeypatch) -> None:
    path = tmp_path / "part.parquet"
    pl.DataFrame({"id": [1]}).write_parquet(path)
    assert footer_row_count(path) == 1
    stat = path.stat()
    pl.DataFrame({"id": [1, 2]}).write_parquet(path)  # in place, its mtime put back
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert footer_row_count(path) == 2

    other = tmp_path / "other.parquet"
    pl.DataFrame({"id": [1, 2, 3, 4]}).write_parquet(other)
    other.replace(path)
    assert footer_row_count(path) == 4


def test_a_symlinked_file_is_counted_as_what_it_points_at(tmp_path) -> None:
    first, second, link = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "l.parquet"
    pl.DataFrame({"id": [1]}).write_parquet(first)
    pl.DataFrame({"id": [1, 2]}).write_parquet(second)
    link.symlink_to(first)
    assert footer_row_count(link) == 1
    link.unlink()
    link.symlink_to(second)
    assert footer_row_count(link) == 2


def test_a_file_that_changes_while_its_footer_is_read_is_not_kept(tmp_path, monkeypatch) -> None:
    path = tmp_path / "part.parquet"
    pl.DataFrame({"id": [1]}).write_parquet(path)
    decoded = _count_decodes(monkeypatch)
    real_footer = parquet_footer._footer

    def footer_then_touch(file, size):
        data = real_footer(file, size)
        os.utime(path, ns=(1, 1))  # the stat after the read differs
        return data

    monkeypatch.setattr(parquet_footer, "_footer", footer_then_touch)
    assert footer_row_count(path) == 1
    monkeypatch.setattr(parquet_footer, "_footer", real_footer)
    assert footer_row_count(path) == 1
    assert len(decoded) == 2


def test_the_counts_kept_are_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parquet_footer, "_KEPT", 3)
    monkeypatch.setattr(parquet_footer, "_counts", {})
    for i in range(5):
        path = tmp_path / f"{i}.parquet"
        pl.DataFrame({"id": list(range(i))}).write_parquet(path)
        assert footer_row_count(path) == i
    assert len(parquet_footer._counts) == 3
