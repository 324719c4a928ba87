"""`make bench`: hygge against raw baselines on the same data in the same run (BENCHMARKS.md).

Each measurement runs in a fresh process so its peak RSS is its own; paired runs alternate.
Ratios are what to compare across runs: these machines are shared and noisy.

Environment (all optional):
  BENCH_QUICK=1        a quick look (300k rows, fewer start-ups and entities): ~2 minutes
  BENCH_ROWS=2000000,5000000   table sizes of the p2p and csv scenarios (the default)
  BENCH_FLAT_ROWS=1000000,5000000   sizes of the memory-flatness scenario (default: a fifth
                       of the largest BENCH_ROWS, at most 1M, and the largest)
  BENCH_FLAT_20M=1     add 20,000,000 rows to the memory-flatness scenario (slow)
  BENCH_REPEAT=3       runs per measurement: the median time counts, the highest peak
  BENCH_STARTUP_RUNS=10  fresh processes per start-up command
  BENCH_ENTITIES=200   entities in the many-small-entities and orchestration scenarios
  BENCH_SQL=0          leave out the PostgreSQL → parquet, parquet → PostgreSQL and ODBC
                       reader scenarios (they start a PostgreSQL server, apt-installing it
                       when missing)
  BENCH_BLOB=0         leave out the blob scenarios (they start a local Azurite from
                       .cache/azurite, installing it from npm when missing)
  BENCH_RESULTS=bench/results  where the Markdown and JSON go
  BENCH_INSTALL=editable  measure the dev venv's editable install (the default: `pip install`
                       of the working tree into a scratch venv, as users get it; install.py)
  BENCH_ONLY=csv,p2p   run only these scenarios (the default: all), from SCENARIOS below;
                       BENCH_BLOB=0 and BENCH_SQL=0 still leave theirs out
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from install import interpreter  # noqa: E402
from scenario_orchestration import orchestration  # noqa: E402
from scenarios_blob import blob  # noqa: E402
from scenarios_cli import many_entities, startup  # noqa: E402
from scenarios_delta import delta  # noqa: E402
from scenarios_move import Moves  # noqa: E402
from scenarios_sql import postgres_reads  # noqa: E402
from table import Row, as_json, markdown, misses  # noqa: E402

SCENARIOS = (
    "p2p", "csv", "csv_files", "work", "flatness", "incremental", "startup", "entities",
    "orchestration", "delta", "blob", "sql",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    sizes: list[int]
    flat_sizes: list[int]
    repeat: int
    startup_runs: int
    entities: int
    blob: bool = True
    sql: bool = True
    only: tuple[str, ...] = SCENARIOS

    def runs(self, scenario: str) -> bool:
        return scenario in self.only


def _sizes(text: str) -> list[int]:
    return sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})


def _only(text: str) -> tuple[str, ...]:
    """BENCH_ONLY's scenarios; a SystemExit naming the known ones for a name not among them."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise SystemExit(
            f"BENCH_ONLY names {', '.join(unknown)}, which the bench does not run; "
            f"choose from {', '.join(SCENARIOS)}"
        )
    return names or SCENARIOS


def settings(env: dict[str, str]) -> Settings:
    """What to run, from the environment (see the module's docstring)."""
    quick = env.get("BENCH_QUICK", "") not in ("", "0")
    sizes = _sizes(env.get("BENCH_ROWS") or ("300000" if quick else "2000000,5000000"))
    largest = sizes[-1]
    flat = _sizes(env.get("BENCH_FLAT_ROWS") or f"{min(1_000_000, largest // 5)},{largest}")
    if env.get("BENCH_FLAT_20M", "") not in ("", "0"):
        flat = sorted({*flat, 20_000_000})
    return Settings(
        sizes=sizes,
        flat_sizes=[size for size in flat if size > 0],
        repeat=int(env.get("BENCH_REPEAT", "3")),
        startup_runs=int(env.get("BENCH_STARTUP_RUNS", "5" if quick else "10")),
        entities=int(env.get("BENCH_ENTITIES", "50" if quick else "200")),
        blob=env.get("BENCH_BLOB", "1") not in ("", "0"),
        sql=env.get("BENCH_SQL", "1") not in ("", "0"),
        only=_only(env.get("BENCH_ONLY", "")),
    )


def run(config: Settings, tmp: Path) -> list[Row]:
    moves = Moves(tmp, config.repeat)
    small, large = config.sizes[0], config.sizes[-1]
    scenarios: list[tuple[str, Callable[[], list[Row]]]] = [
        ("p2p", lambda: moves.p2p(config.sizes)),
        ("csv", lambda: moves.csv(config.sizes)),
        ("csv_files", lambda: moves.csv_files(small)),
        ("work", lambda: moves.work(config.sizes)),
        ("flatness", lambda: moves.flatness(config.flat_sizes)),
        ("incremental", lambda: moves.incremental(large)),
        ("startup", lambda: startup(tmp, config.startup_runs)),
        ("entities", lambda: many_entities(tmp, config.entities, config.repeat)),
        ("orchestration", lambda: orchestration(config.entities, config.repeat)),
        ("delta", lambda: delta(moves, small)),
        ("blob", lambda: blob(tmp, small, config.repeat) if config.blob else []),
        ("sql", lambda: postgres_reads(tmp, small, config.repeat) if config.sql else []),
    ]
    results: list[Row] = []
    for name, scenario in scenarios:
        if config.runs(name):
            results += scenario()
    return results


def write(config: Settings, results: list[Row], out: Path) -> Path:
    """bench/results/<UTC stamp>.json and .md; returns the Markdown file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    meta = {"when": stamp, **asdict(config), "machine": platform.platform()}
    meta["cpus"] = os.cpu_count()
    meta["install"] = os.environ.get("BENCH_INSTALL", "regular")
    out.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "results": as_json(results), "misses": misses(results)}
    (out / f"{stamp}.json").write_text(json.dumps(document, indent=2) + "\n")
    sizes = ", ".join(f"{size:,}" for size in config.sizes)
    title = f"# bench {stamp} ({sizes} rows; medians of {config.repeat})"
    (out / f"{stamp}.md").write_text(f"{title}\n\n{markdown(results)}\n")
    return out / f"{stamp}.md"


def main() -> None:
    config = settings(dict(os.environ))
    with tempfile.TemporaryDirectory(prefix="hygge-bench-") as tmp:
        harness.use_interpreter(interpreter(Path(tmp) / "install", dict(os.environ)))
        results = run(config, Path(tmp))
    print(markdown(results))
    out = Path(os.environ.get("BENCH_RESULTS", HERE / "results"))
    written = write(config, results, out)
    print(f"\n{misses(results)} target(s) missed; written to {written} and .json")


if __name__ == "__main__":
    main()
