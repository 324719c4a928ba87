"""FileHome: which files a window holds, how they stream, and the errors a user can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pydantic import ValidationError

import hygge.homes.file_home
from hygge.errors import DataError
from hygge.homes.base import FileEntry, FilePosition, Position, ReadSpec, Window
from hygge.homes.file_home import FileHome, file_fingerprint, select_new_files
from hygge.homes.files import LocalHomeConfig, ParquetHomeConfig
from hygge.types import Place
from tests.support.data import orders


def open_home(root: Path, path: str = "landing/orders", **config: Any) -> FileHome:
    return FileHome(LocalHomeConfig(path=path, **config), Place(root, "sales", "orders"))


def write(path: Path, content: str | pl.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    elif path.suffix == ".parquet":
        content.write_parquet(path)
    else:
        content.write_csv(path)
    return path


def read_all(home: FileHome, position: Position | None = None) -> pl.DataFrame:
    batches = [b for b, _ in home.read(home.open_window(ReadSpec()), position or FilePosition())]
    return pl.concat(batches) if batches else pl.DataFrame()


def test_a_folder_is_listed_recursively_sorted_and_without_hidden_or_foreign_files(tmp_path):
    folder = tmp_path / "landing" / "orders"
    hidden = [".partial.parquet", "_SUCCESS", "_hygge_staging/x/1.parquet", ".git/y.parquet"]
    for name in ["b.parquet", "a/z.parquet", "a/b/c.parquet", "notes.csv", *hidden]:
        write(folder / name, orders(1))
    window = open_home(tmp_path).open_window(ReadSpec())
    assert [f.path for f in window.files or []] == ["a/b/c.parquet", "a/z.parquet", "b.parquet"]


def test_window_entries_carry_size_and_mtime_for_change_detection(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.parquet", orders(3))
    (entry,) = open_home(tmp_path).open_window(ReadSpec()).files or []
    assert (entry.size, entry.mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)


def test_a_single_file_path_is_read_as_is(tmp_path):
    write(tmp_path / "landing" / "orders.csv", orders(3))
    home = open_home(tmp_path, path="landing/orders.csv", format="csv")
    assert [f.path for f in home.open_window(ReadSpec()).files or []] == ["orders.csv"]
    assert read_all(home).height == 3


def test_a_missing_path_falls_back_to_the_path_plus_the_format_extension(tmp_path):
    write(tmp_path / "landing" / "orders.parquet", orders(4))
    assert read_all(open_home(tmp_path)).height == 4


def test_ndjson_homes_also_read_jsonl_files(tmp_path):
    folder = tmp_path / "landing" / "orders"
    folder.mkdir(parents=True)
    orders(2).write_ndjson(folder / "a.ndjson")
    orders(3).write_ndjson(folder / "b.jsonl")
    assert read_all(open_home(tmp_path, format="ndjson")).height == 5


def test_a_missing_path_is_a_data_error_naming_the_resolved_path(tmp_path):
    home = open_home(tmp_path)
    with pytest.raises(
        DataError, match=f"{tmp_path / 'landing' / 'orders'} does not exist.*flow.yml"
    ):
        home.open_window(ReadSpec())
    assert "does not exist" in home.check()[0]


def test_paths_resolve_against_the_workspace_root_not_the_current_directory(tmp_path, monkeypatch):
    write(tmp_path / "ws" / "landing" / "orders" / "a.parquet", orders(2))
    monkeypatch.chdir(tmp_path)
    assert read_all(open_home(tmp_path / "ws")).height == 2
    assert open_home(tmp_path / "ws").check() == []


def test_an_empty_folder_is_an_empty_window_not_an_error(tmp_path):
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    home = open_home(tmp_path)
    window = home.open_window(ReadSpec())
    assert window.files == []
    assert list(home.read(window, FilePosition())) == []


def test_rows_hint_comes_from_parquet_metadata_and_is_unknown_for_text(tmp_path):
    write(tmp_path / "landing" / "orders" / "a.parquet", orders(3))
    write(tmp_path / "landing" / "orders" / "b.parquet", orders(4))
    write(tmp_path / "landing" / "orders" / "c.csv", orders(4))
    assert open_home(tmp_path).open_window(ReadSpec()).rows_hint == 7
    assert open_home(tmp_path, format="csv").open_window(ReadSpec()).rows_hint is None


def _count_footer_reads(monkeypatch) -> list[Path]:
    reads: list[Path] = []
    real = hygge.homes.file_home.parquet_row_count

    def counted(path: Path) -> int:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(hygge.homes.file_home, "parquet_row_count", counted)
    return reads


def test_rows_hint_reads_the_footer_of_each_file_up_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(hygge.homes.file_home, "ROWS_HINT_MAX_FILES", 3)
    for name in "abc":
        write(tmp_path / "landing" / "orders" / f"{name}.parquet", orders(2))
    reads = _count_footer_reads(monkeypatch)
    assert open_home(tmp_path).open_window(ReadSpec()).rows_hint == 6
    assert len(reads) == 3


def test_a_window_of_more_files_than_the_limit_reads_no_footer_and_gives_no_hint(
    tmp_path, monkeypatch
):
    # Beginning a run over thousands of files must not open every one of them first.
    monkeypatch.setattr(hygge.homes.file_home, "ROWS_HINT_MAX_FILES", 3)
    for name in "abcd":
        write(tmp_path / "landing" / "orders" / f"{name}.parquet", orders(2))
    reads = _count_footer_reads(monkeypatch)
    window = open_home(tmp_path).open_window(ReadSpec())
    assert len(window.files or []) == 4
    assert window.rows_hint is None
    assert reads == []


def test_parquet_skips_whole_row_groups_and_fills_batches_across_them(tmp_path):
    path = tmp_path / "landing" / "orders" / "a.parquet"
    path.parent.mkdir(parents=True)
    orders(100).write_parquet(path, row_group_size=7)
    home = open_home(tmp_path, batch_size=10)
    batches = list(home.read(home.open_window(ReadSpec()), FilePosition(row_offset=23)))
    assert [b.height for b, _ in batches] == [10] * 7 + [7]
    assert_frame_equal(pl.concat([b for b, _ in batches]), orders(100).slice(23))
    assert batches[-1][1] == FilePosition(file_index=0, row_offset=100)


def test_parquet_with_types_pyarrow_cannot_read_is_read_through_polars(tmp_path):
    frame = pl.DataFrame({"big": pl.Series([2**100, None], dtype=pl.Int128)})
    write(tmp_path / "landing" / "orders" / "a.parquet", frame)
    home = open_home(tmp_path, batch_size=1)
    assert_frame_equal(read_all(home, FilePosition(row_offset=1)), frame.slice(1))


def test_a_file_changed_after_the_window_was_fixed_is_a_data_error(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.csv", orders(3))
    home = open_home(tmp_path, format="csv")
    window = home.open_window(ReadSpec())
    write(path, orders(5))
    with pytest.raises(DataError, match="changed during the run"):
        list(home.read(window, FilePosition()))


def test_a_file_removed_after_the_window_was_fixed_is_a_data_error(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.csv", orders(3))
    home = open_home(tmp_path, format="csv")
    window = home.open_window(ReadSpec())
    path.unlink()
    with pytest.raises(DataError, match="disappeared during the run"):
        list(home.read(window, FilePosition()))


def test_a_malformed_csv_is_a_data_error_naming_the_file(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "bad.csv", "id,name\n1,a\n2,b,extra\n")
    with pytest.raises(DataError, match=f"cannot read csv file {path} line 3: .*more fields"):
        read_all(open_home(tmp_path, format="csv"))


def test_a_value_that_does_not_fit_the_window_schema_is_a_data_error(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.csv", "id\n1\n2\nthree\n")
    home = open_home(tmp_path, format="csv", format_options={"infer_schema_length": 2})
    with pytest.raises(DataError, match=f"cannot read csv file {path}"):
        read_all(home)


def test_a_corrupt_parquet_file_is_a_data_error_naming_the_file(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.parquet", "definitely not parquet")
    with pytest.raises(DataError, match=f"cannot read parquet file {path}"):
        open_home(tmp_path).open_window(ReadSpec())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_an_empty_file_yields_nothing(tmp_path, fmt):
    folder = tmp_path / "landing" / "orders"
    folder.mkdir(parents=True)
    (folder / f"a.{fmt}").write_bytes(b"")
    home = open_home(tmp_path, format=fmt)
    assert list(home.read(home.open_window(ReadSpec()), FilePosition())) == []


def test_csv_columns_keep_the_type_of_the_first_file_in_every_batch(tmp_path):
    folder = tmp_path / "landing" / "orders"
    write(folder / "a.csv", "id,amount\n1,2.5\n2,3.5\n")
    write(folder / "b.csv", "id,amount\n3,\n4,\n")  # amount would infer as String alone
    home = open_home(tmp_path, format="csv", batch_size=1)
    schemas = {
        tuple(b.schema.items()) for b, _ in home.read(home.open_window(ReadSpec()), FilePosition())
    }
    assert schemas == {(("id", pl.Int64()), ("amount", pl.Float64()))}


def test_csv_files_are_matched_by_header_name_not_position(tmp_path):
    folder = tmp_path / "landing" / "orders"
    write(folder / "a.csv", "id,name\n1,a\n")
    write(folder / "b.csv", "name,id\nb,2\n")
    frame = read_all(open_home(tmp_path, format="csv"))
    assert frame.rows() == [(1, "a"), (2, "b")]


def test_csv_format_options_reach_the_reader(tmp_path):
    write(tmp_path / "landing" / "orders.csv", "junk line\n1;NA;2024-01-02\n2;x;2024-01-03\n")
    options = {
        "separator": ";",
        "has_header": False,
        "skip_rows": 1,
        "null_values": ["NA"],
        "new_columns": ["id", "name", "day"],
        "schema_overrides": {"id": "Int32", "day": "Date"},
    }
    frame = read_all(open_home(tmp_path, format="csv", format_options=options))
    assert frame.schema == pl.Schema({"id": pl.Int32, "name": pl.String, "day": pl.Date})
    assert frame["name"].to_list() == [None, "x"]


def test_csv_in_another_encoding_is_transcoded(tmp_path):
    path = tmp_path / "landing" / "orders.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("id,city\n1,Århus\n".encode("latin-1"))
    frame = read_all(open_home(tmp_path, format="csv", format_options={"encoding": "latin1"}))
    assert frame["city"].to_list() == ["Århus"]


def test_ndjson_schema_overrides_convert_text_to_typed_columns(tmp_path):
    path = tmp_path / "landing" / "orders.ndjson"
    write(path, '{"id": 1, "day": "2024-01-02", "at": "2024-01-02 03:04:05"}\n')
    options = {"schema_overrides": {"id": "int8", "day": "date", "at": "Datetime(ms, UTC)"}}
    frame = read_all(open_home(tmp_path, format="ndjson", format_options=options))
    expected: dict[str, pl.DataType] = {
        "id": pl.Int8(),
        "day": pl.Date(),
        "at": pl.Datetime("ms", "UTC"),
    }
    assert frame.schema == pl.Schema(expected)


def test_an_unknown_format_option_is_refused_by_the_config_with_the_nearest_option(tmp_path):
    with pytest.raises(ValidationError, match=r"'seperator' \(did you mean 'separator'\?\)"):
        open_home(tmp_path, format="csv", format_options={"seperator": ";"})


def test_an_unknown_column_type_is_refused_by_the_config_naming_the_column(tmp_path):
    with pytest.raises(ValidationError, match="unknown column type 'Integer' for column 'id'"):
        open_home(tmp_path, format="csv", format_options={"schema_overrides": {"id": "Integer"}})


def test_describe_names_the_format_and_configured_path(tmp_path):
    home = FileHome(ParquetHomeConfig(path="data/landing/orders"), Place(tmp_path, "s", "o"))
    assert home.describe() == "parquet data/landing/orders"


def test_select_new_files_keeps_unseen_and_changed_files():
    loaded = FileEntry(path="a.csv", size=10, mtime_ns=1)
    changed = FileEntry(path="b.csv", size=12, mtime_ns=2)
    new = FileEntry(path="c.csv", size=5, mtime_ns=3)
    fingerprints = {
        file_fingerprint(loaded),
        file_fingerprint(changed.model_copy(update={"size": 11})),
    }
    assert select_new_files([loaded, changed, new], fingerprints) == [changed, new]


def test_reading_past_the_window_yields_nothing(tmp_path):
    write(tmp_path / "landing" / "orders" / "a.parquet", orders(2))
    home = open_home(tmp_path)
    assert list(home.read(Window(files=[]), FilePosition())) == []
    assert list(home.read(home.open_window(ReadSpec()), FilePosition(file_index=1))) == []


def test_csv_positions_carry_the_byte_offset_a_resume_seeks_to(tmp_path):
    folder = tmp_path / "landing" / "orders"
    write(folder / "a.csv", 'id,note\r\n1,"two\r\nlines"\r\n2,b\r\n3,c\r\n4,d\r\n5,e')
    write(folder / "b.csv", "id,note\n6,f\n")
    home = open_home(tmp_path, format="csv", batch_size=2)
    window = home.open_window(ReadSpec())
    read = list(home.read(window, FilePosition()))
    positions = [p for _, p in read]
    assert all(isinstance(p, FilePosition) and p.byte_offset for p in positions)

    for k, position in enumerate(positions):
        rest = [b for b, _ in home.read(window, position)]
        ids = pl.concat(rest)["id"].to_list() if rest else []
        expected = pl.concat([b for b, _ in read[k + 1 :]])["id"].to_list() if k < 3 else []
        assert ids == expected, position


def test_a_resume_at_a_byte_offset_refuses_a_file_changed_since_the_window(tmp_path):
    path = write(tmp_path / "landing" / "orders" / "a.csv", "id\n1\n2\n3\n")
    home = open_home(tmp_path, format="csv", batch_size=2)
    window = home.open_window(ReadSpec())
    _, position = next(iter(home.read(window, FilePosition())))
    path.write_text("id\n1\n22\n3\n4\n")  # other bytes at the offset: seeking would misread

    with pytest.raises(DataError, match="changed during the run"):
        list(home.read(window, position))


def test_an_appended_file_is_read_from_the_byte_its_loaded_part_ends_at(tmp_path):
    loaded = 'id,note\n1,a\n2,"b\nb"\n'
    write(tmp_path / "landing" / "orders" / "a.csv", loaded + "3,c\n4,d\n")
    home = open_home(tmp_path, format="csv")
    (entry,) = home.open_window(ReadSpec()).files or []
    appended = entry.model_copy(update={"start_row": 2, "start_byte": len(loaded)})

    batches = list(home.read(Window(files=[appended]), FilePosition()))

    assert pl.concat([b for b, _ in batches])["id"].to_list() == [3, 4]
    assert batches[-1][1] == FilePosition(row_offset=4, byte_offset=len(loaded) + 8)
