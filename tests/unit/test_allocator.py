"""hygge sets polars' allocator to give freed pages back soon (see `hygge.ALLOCATOR_CONF`),
before polars loads, unless the user set it; jemalloc accepts the setting without a word."""

from __future__ import annotations

import os
import subprocess
import sys

SHOW = (
    "import hygge, os, sys; assert 'polars' not in sys.modules; import polars as pl; "
    "pl.DataFrame({'a': range(100_000)}).lazy().select(pl.col('a').sum()).collect(); "
    "print(os.environ['_RJEM_MALLOC_CONF'])"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True
    )


def test_hygge_sets_the_allocator_before_polars_loads_and_jemalloc_takes_it() -> None:
    import hygge

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    result = _run(env)

    assert result.stdout.strip().endswith("," + hygge.ALLOCATOR_CONF)  # polars' own, then ours
    assert "jemalloc" not in result.stderr  # an invalid conf pair would be reported there


def test_a_users_own_allocator_setting_is_kept() -> None:
    result = _run({**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:5000"})

    assert result.stdout.strip().endswith(",dirty_decay_ms:5000")  # polars appends it last
    assert "dirty_decay_ms:250" not in result.stdout
    assert "jemalloc" not in result.stderr
