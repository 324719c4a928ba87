"""Moving the lineitem table: parquet→parquet and csv→parquet (in 1M-row files, and in 100
small files) against polars' own sink, memory as the table grows, and an incremental run after
a full load. Each data size is written once."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import harness as h
from lineitem import lineitem, write_lineitem, write_lineitem_csv
from table import Check, Measured, Row, peak_check, summarise, throughput_ratio

MEMORY_BOUND_BATCH = 50_000  # store rows per file in the memory-bound row
MANY_FILES = 100  # csv files of the many-files row (a landing zone of small drops)


def throughput_target(rows: int) -> float:
    """Issue 8: ≥ 0.85x the raw sink's throughput at 2M rows, ≥ 0.95x from 5M."""
    return 0.95 if rows >= 5_000_000 else 0.85


def copy_flow(home: str, run_type: str = "full_drop", store_batch: int | None = None) -> str:
    batch = f", batch_size: {store_batch}" if store_batch else ""
    return (
        f"home: {home}\nstore: {{type: parquet, path: lake, compression: zstd{batch}}}\n"
        f"run_type: {run_type}\nentities: [lineitem]\n"
    )


class Moves:
    """The move scenarios over generated data under `tmp`, measured `repeat` times each."""

    def __init__(self, tmp: Path, repeat: int) -> None:
        self.tmp, self.repeat = tmp, repeat
        self._pairs: dict[tuple[int, int | None], tuple[Measured, Measured]] = {}

    def parquet_data(self, rows: int) -> Path:
        folder = self.tmp / f"data-{rows}" / "parquet" / "lineitem"
        if not folder.exists():
            write_lineitem(folder, rows)
        return folder

    def csv_data(self, rows: int) -> Path:
        folder = self.tmp / f"data-{rows}" / "csv" / "lineitem"
        if not folder.exists():
            write_lineitem_csv(folder, rows)
        return folder

    def p2p_pair(self, rows: int, store_batch: int | None = None) -> tuple[Measured, Measured]:
        """hygge's parquet→parquet `hygge go` and the raw sink, whole processes, paired."""
        key = (rows, store_batch)
        if key not in self._pairs:
            src = self.parquet_data(rows)
            name = f"p2p-{rows}-{store_batch or 'default'}"
            home = f"{{type: parquet, path: {src.parent}}}"
            ws = h.workspace(self.tmp / name, {"p2p": copy_flow(home, store_batch=store_batch)})
            run = h.process(ws, *h.hygge("go"))
            baseline = h.process(ws, *h.raw("parquet", src, ws / "raw"))
            self._pairs[key] = h.paired(run, baseline, self.repeat)
        return self._pairs[key]

    def p2p(self, sizes: list[int]) -> list[Row]:
        rows = []
        for size in sizes:
            hygge, raw = self.p2p_pair(size)
            ratio = Check(
                "throughput vs raw", throughput_ratio(hygge, raw), "≥", throughput_target(size)
            )
            rows.append(
                Row("p2p parquet→parquet", size, hygge, raw, (ratio, peak_check(hygge, raw)))
            )
        pyarrow = self.pyarrow(min(sizes))
        note = f"pyarrow dataset copy: {pyarrow.seconds:.2f} s, {pyarrow.peak_mib:,.0f} MiB"
        rows[0] = replace(rows[0], note=note)
        return rows

    def pyarrow(self, rows: int) -> Measured:
        src = self.parquet_data(rows)
        return h.once(
            h.process(self.tmp, *h.raw("pyarrow", src, self.tmp / "pyarrow")), self.repeat
        )

    def csv(self, sizes: list[int]) -> list[Row]:
        rows = []
        for size in sizes:
            src = self.csv_data(size)
            home = f"{{type: local, format: csv, path: {src.parent}}}"
            ws = h.workspace(self.tmp / f"csv-{size}", {"csv": copy_flow(home)})
            run = h.process(ws, *h.hygge("go"))
            baseline = h.process(ws, *h.raw("csv", src, ws / "raw"))
            hygge, raw = h.paired(run, baseline, self.repeat)
            ratio = Check("throughput vs raw", throughput_ratio(hygge, raw), "≥", 0.85)
            rows.append(Row("csv→parquet", size, hygge, raw, (ratio, peak_check(hygge, raw))))
        return rows

    def csv_files(self, rows: int) -> list[Row]:
        """The same table landed as MANY_FILES csv files: what a chunk a file would cost."""
        src = self.tmp / f"data-{rows}" / "csv-files" / "lineitem"
        if not src.exists():
            write_lineitem_csv(src, rows, per_file=max(rows // MANY_FILES, 1))
        home = f"{{type: local, format: csv, path: {src.parent}}}"
        ws = h.workspace(self.tmp / f"csv-files-{rows}", {"csv": copy_flow(home)})
        run = h.process(ws, *h.hygge("go"))
        hygge, raw = h.paired(run, h.process(ws, *h.raw("csv", src, ws / "raw")), self.repeat)
        ratio = Check("throughput vs raw", throughput_ratio(hygge, raw), "≥", 0.85)
        scenario = f"csv→parquet, {MANY_FILES} files"
        return [Row(scenario, rows, hygge, raw, (ratio, peak_check(hygge, raw)))]

    def work(self, sizes: list[int]) -> list[Row]:
        """Both moves with start-up left out (libraries imported before the clock), paired:
        what hygge's moving costs over the raw sink, apart from its start-up (no target)."""
        rows = []
        for size in sizes:
            parquet, csv = self.parquet_data(size), self.csv_data(size)
            for kind, src, home in (
                ("parquet", parquet, f"{{type: parquet, path: {parquet.parent}}}"),
                ("csv", csv, f"{{type: local, format: csv, path: {csv.parent}}}"),
            ):
                ws = h.workspace(self.tmp / f"work-{kind}-{size}", {"move": copy_flow(home)})
                run = h.hygge_work(ws)
                hygge, raw = h.paired(run, h.raw_work(kind, src, ws / "raw"), self.repeat)
                ratio = throughput_ratio(hygge, raw)
                note = f"{ratio:.2f}x the raw sink's throughput, both in-process (no target)"
                label = "p2p" if kind == "parquet" else "csv→parquet"
                rows.append(
                    Row(f"work clock: {label}, imports left out", size, hygge, raw, (), note)
                )
        return rows

    def flatness(self, sizes: list[int]) -> list[Row]:
        """The p2p scenario's peak as the table grows (same batch sizes), then a smaller batch."""
        rows, first = [], self.p2p_pair(sizes[0])[0]
        for size in sizes:
            hygge, raw = self.p2p_pair(size)
            note = f"peak {hygge.peak_mib / first.peak_mib:.2f}x the {sizes[0]:,}-row run's"
            rows.append(Row("memory: p2p", size, hygge, raw, (peak_check(hygge, raw),), note))
        hygge, raw = self.p2p_pair(sizes[-1], MEMORY_BOUND_BATCH)
        scenario = f"memory: p2p, store batch_size {MEMORY_BOUND_BATCH:,}"
        return [*rows, Row(scenario, sizes[-1], hygge, raw, (peak_check(hygge, raw),))]

    def incremental(self, rows: int) -> list[Row]:
        """1 % new rows after a full load, against that full load (in-process work clock)."""
        ws = h.workspace(self.tmp / "incremental", {"copy": copy_flow("src", "incremental")})
        shutil.copytree(self.parquet_data(rows), ws / "src" / "lineitem")
        full = h.once(h.hygge_work(ws, "--full-drop"), self.repeat)
        delta, runs = rows // 100, []
        for attempt in range(self.repeat):
            h.hygge_work(ws, "--full-drop")()  # back to the full load, untimed
            landed = ws / "src" / "lineitem" / f"delta-{attempt}.parquet"
            lineitem(rows, delta).write_parquet(landed)
            runs.append(h.hygge_work(ws)())
            landed.unlink()
        incremental = summarise(runs)
        share = Check("% of the full load", incremental.seconds / full.seconds * 100, "≤", 5, "%")
        note = "raw = the full load of the same table; work clock (imports excluded)"
        return [Row("incremental 1% new rows", delta, incremental, full, (share,), note)]
