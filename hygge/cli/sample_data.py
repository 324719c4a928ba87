"""A small, realistic, deterministic landing zone: customers, orders (csv) and order lines.

`hygge init` writes one batch so a new project runs at once; `make demo` writes bigger ones and
calls again with a later `start` to land a second batch next to the first, as new files only.
Randomness is integer arithmetic on row ids (no global RNG), so a seed gives the same bytes on
every machine.
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime
from pathlib import Path

import polars as pl

ENTITIES = ("customers", "orders", "order_lines")
ROWS_PER_FILE = 250_000
_MODULUS = 2_147_483_647  # 2**31 - 1, the MINSTD prime
_EPOCH = datetime(2024, 1, 1)

_FIRST = ["Ada", "Bo", "Chen", "Dagny", "Emil", "Freya", "Gus", "Hana", "Ivo", "Jonna", "Kai"]
_LAST = ["Andersen", "Berg", "Dahl", "Eriksen", "Holm", "Lund", "Moller", "Nielsen", "Vik"]
_COUNTRIES = ["DK", "SE", "NO", "FI", "DE", "NL", "GB", "US"]
_STATUSES = ["placed", "paid", "shipped", "delivered", "returned"]
_PRODUCTS = ["wool blanket", "candle", "mug", "teapot", "cushion", "lamp", "rug", "socks"]
_PRICES = [79.0, 12.5, 9.95, 34.0, 25.0, 129.0, 199.0, 7.5]


def write_sample_landing(root: Path, rows: int, seed: int = 7, start: int = 0) -> dict[str, int]:
    """Write one batch of landing files under `root/<entity>/`; return rows written per entity.

    `rows` orders are written (ids `start+1 … start+rows`), with a fifth as many new customers
    and one to four lines per order. File names carry `start`, so a later batch with a larger
    `start` adds files and never touches existing ones; an existing name is an error.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if start < 0:
        raise ValueError(f"start must be 0 or more, got {start}")
    customers = _customers(first_id=start // 5 + 1, count=max(1, rows // 5), seed=seed)
    orders = _orders(
        first_id=start + 1, count=rows, customer_count=start // 5 + customers.height, seed=seed
    )
    lines = _order_lines(orders, seed=seed)
    frames = {
        "customers": (customers, "csv"),
        "orders": (orders.drop("line_count"), "csv"),
        "order_lines": (lines, "parquet"),
    }
    planned = {
        name: _file_names(root / name, name, start, frame.height, fmt)
        for name, (frame, fmt) in frames.items()
    }
    clashes = [str(path) for paths in planned.values() for path in paths if path.exists()]
    if clashes:
        raise FileExistsError(
            f"sample files already exist: {', '.join(clashes)}; "
            f"pass a start past the last batch (e.g. start={start + rows})"
        )
    for name, (frame, fmt) in frames.items():
        _write_parts(frame, planned[name], fmt)
    return {name: frame.height for name, (frame, _) in frames.items()}


def _mix(ids: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, 2**31 - 1) for each id."""
    state = (ids * 1_103_515_245 + (seed * 7_919 + salt * 104_729)) % _MODULUS
    for _ in range(2):  # xor-shift then multiply: breaks the lattice a bare LCG leaves
        state = (state.xor(state // 32_768) * 48_271) % _MODULUS
    return state


def _below(bound: int, ids: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A pseudo-random integer in [0, bound); high bits, as low bits of an LCG repeat."""
    return _mix(ids, seed, salt) * bound // _MODULUS


def _pick(options: list[str], ids: pl.Expr, seed: int, salt: int) -> pl.Expr:
    index = _below(len(options), ids, seed, salt).cast(pl.UInt32)
    return pl.lit(pl.Series(options)).gather(index)


def _customers(first_id: int, count: int, seed: int) -> pl.DataFrame:
    ids = pl.col("customer_id")
    first, last = _pick(_FIRST, ids, seed, 1), _pick(_LAST, ids, seed, 2)
    return pl.DataFrame(
        {"customer_id": pl.int_range(first_id, first_id + count, eager=True)}
    ).with_columns(
        name=pl.concat_str([first, last], separator=" "),
        email=pl.concat_str(
            [first.str.to_lowercase(), pl.lit("."), ids.cast(pl.String), pl.lit("@example.com")]
        ),
        country=_pick(_COUNTRIES, ids, seed, 3),
        signup_date=(pl.lit(_EPOCH) + pl.duration(hours=ids * 3)).dt.date(),
        updated_at=pl.lit(_EPOCH) + pl.duration(hours=ids * 3, seconds=_below(3600, ids, seed, 4)),
    )


def _orders(first_id: int, count: int, customer_count: int, seed: int) -> pl.DataFrame:
    ids = pl.col("order_id")
    created = pl.lit(_EPOCH) + pl.duration(minutes=ids)
    return pl.DataFrame({"order_id": pl.int_range(first_id, first_id + count, eager=True)}).select(
        "order_id",
        customer_id=_below(customer_count, ids, seed, 5) + 1,
        status=_pick(_STATUSES, ids, seed, 6),
        currency=pl.lit("DKK"),
        created_at=created,
        # Under a minute after creation, so updated_at grows with order_id across batches.
        updated_at=created + pl.duration(seconds=_below(50, ids, seed, 7)),
        line_count=(_below(4, ids, seed, 8) + 1).cast(pl.Int64),
    )


def _order_lines(orders: pl.DataFrame, seed: int) -> pl.DataFrame:
    lines = (
        orders.select("order_id", line_number=pl.int_ranges(1, pl.col("line_count") + 1))
        .explode("line_number")
        .with_columns(line_id=pl.col("order_id") * 10 + pl.col("line_number"))
    )
    ids = pl.col("line_id")
    product = _below(len(_PRODUCTS), ids, seed, 9)
    quantity = (_below(5, ids, seed, 10) + 1).cast(pl.Int32)
    price = pl.lit(pl.Series(_PRICES)).gather(product.cast(pl.UInt32))
    return lines.select(
        "order_id",
        pl.col("line_number").cast(pl.Int32),
        product=pl.lit(pl.Series(_PRODUCTS)).gather(product.cast(pl.UInt32)),
        quantity=quantity,
        unit_price=price,
        amount=(price * quantity).round(2),
    )


def _file_names(folder: Path, entity: str, start: int, height: int, fmt: str) -> list[Path]:
    parts = max(2, math.ceil(height / ROWS_PER_FILE)) if height > 1 else 1
    return [folder / f"{entity}-{start:09d}-{part:02d}.{fmt}" for part in range(parts)]


def _write_parts(frame: pl.DataFrame, paths: list[Path], fmt: str) -> None:
    size = math.ceil(frame.height / len(paths))
    for index, path in enumerate(paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        part = frame.slice(index * size, size)
        if fmt == "csv":
            part.write_csv(path)
        else:
            part.write_parquet(path)


def main(argv: list[str] | None = None) -> None:
    """`python -m hygge.cli.sample_data DIR --rows N [--start S] [--seed K]` (used by make demo)."""
    parser = argparse.ArgumentParser(description="Write a batch of sample landing files.")
    parser.add_argument("root", type=Path, help="landing folder, e.g. data/landing")
    parser.add_argument("--rows", type=int, default=2_000, help="orders in this batch")
    parser.add_argument("--start", type=int, default=0, help="ids before this batch")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = write_sample_landing(args.root, args.rows, seed=args.seed, start=args.start)
    print(", ".join(f"{name}: {rows:,} rows" for name, rows in counts.items()))


if __name__ == "__main__":
    main()
