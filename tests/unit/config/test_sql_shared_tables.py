"""Two entities writing one SQL table are refused when the workspace loads, whichever way
their stores spell it (the case rules of each database, `{entity}`, schema given apart, a
SQLite file by `connection:` or by `path`); distinct tables load."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from tests.support.workspace import write_workspace

PROJECT = """\
name: shop
connections:
  pg: {type: postgres, url: "postgresql://loader@db:5432/sales"}
  pg2: {type: postgres, url: "postgresql://loader@other:5432/sales"}
  wh: {type: mssql, server: db.example.net, database: sales}
  lite: {type: sqlite, path: lake.sqlite}
"""


def _workspace(tmp_path: Path, a_store: str, b_store: str, b_entity: str = "y") -> Path:
    flows = {
        "a": f"home: {{type: parquet, path: landing}}\nstore: {a_store}\nentities: [x]\n",
        "b": f"home: {{type: parquet, path: landing}}\nstore: {b_store}\nentities: [{b_entity}]\n",
    }
    root = write_workspace(tmp_path / "ws", flows, PROJECT)
    (root / "landing").mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("a_store", "b_store"),
    [
        pytest.param(
            "{type: postgres, connection: pg, table: public.orders}",
            "{type: postgres, connection: pg, table: orders}",
            id="postgres-default-schema",
        ),
        pytest.param(
            "{type: postgres, connection: pg, table: sales.orders}",
            "{type: postgres, connection: pg, schema: sales, table: '\"orders\"'}",
            id="postgres-schema-given-apart",
        ),
        pytest.param(
            "{type: mssql, connection: wh, table: dbo.Orders}",
            "{type: mssql, connection: wh, table: '[ORDERS]'}",
            id="mssql-ignores-case",
        ),
        pytest.param(
            "{type: mssql, server: db.example.net, database: sales, table: dbo.orders}",
            "{type: mssql, server: DB.example.net, database: Sales, table: Orders}",
            id="mssql-inline-server",
        ),
        pytest.param(
            "{type: sqlite, path: lake.sqlite, table: orders}",
            "{type: sqlite, connection: lite, table: ORDERS}",
            id="sqlite-path-and-connection",
        ),
        pytest.param(
            "{type: sqlite, path: lake.sqlite, table: orders}",
            "{type: sqlite, path: link/lake.sqlite, table: main.Orders}",
            id="sqlite-through-a-symlinked-folder",
        ),
    ],
)
def test_two_entities_on_one_sql_table_by_another_spelling_are_refused(
    tmp_path: Path, a_store: str, b_store: str
) -> None:
    root = _workspace(tmp_path, a_store, b_store)
    (root / "link").symlink_to(root)

    with pytest.raises(ConfigError, match=r"entities a\.x and b\.y write the same table") as found:
        load_workspace(source=str(root), env={})
    assert "b/flow.yml" in str(found.value)


def test_two_entities_by_entity_named_tables_are_refused_when_the_names_meet(
    tmp_path: Path,
) -> None:
    root = _workspace(
        tmp_path,
        "{type: mssql, connection: wh, table: 'dbo.{entity}'}",
        "{type: mssql, connection: wh, table: dbo.X}",
    )
    with pytest.raises(ConfigError, match=r"write the same table \(mssql connection wh"):
        load_workspace(source=str(root), env={})


@pytest.mark.parametrize(
    ("a_store", "b_store"),
    [
        pytest.param(
            "{type: postgres, connection: pg, table: orders}",
            "{type: postgres, connection: pg, table: '\"Orders\"'}",
            id="postgres-keeps-case",
        ),
        pytest.param(
            "{type: postgres, connection: pg, table: orders}",
            "{type: postgres, connection: pg2, table: orders}",
            id="another-connection",
        ),
        pytest.param(
            "{type: mssql, connection: wh, table: dbo.orders}",
            "{type: mssql, connection: wh, table: sales.orders}",
            id="another-schema",
        ),
        pytest.param(
            "{type: sqlite, path: lake.sqlite, table: orders}",
            "{type: sqlite, path: other.sqlite, table: orders}",
            id="another-file",
        ),
        pytest.param(
            "{type: postgres, connection: pg, table: '{entity}'}",
            "{type: postgres, connection: pg, table: '{entity}'}",
            id="each-its-own",
        ),
    ],
)
def test_entities_on_their_own_sql_tables_load(tmp_path: Path, a_store: str, b_store: str) -> None:
    root = _workspace(tmp_path, a_store, b_store)

    loaded = load_workspace(source=str(root), env={})

    assert [e.qualified_name for e in loaded.entities] == ["a.x", "b.y"]
