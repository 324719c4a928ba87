"""Home, store and connection blocks are validated by the one config class their `type` names.

The registries (`HOME_TYPES`, `STORE_TYPES`, `CONNECTION_TYPES`) replace pydantic's
discriminated unions so that a workspace builds only the models it uses; these tests hold them
to the unions' behaviour: the same classes, the same errors, the same dumps.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import hygge.connections
import hygge.homes
import hygge.stores
from hygge.config import load_workspace
from hygge.config.models import ProjectConfig, ResolvedEntity
from hygge.connections import CONNECTION_TYPES, ConnectionConfigUnion
from hygge.errors import ConfigError
from hygge.homes import HOME_TYPES, HomeConfigUnion
from hygge.stores import STORE_TYPES, ParquetStoreConfig, StoreConfigUnion
from hygge.tagged import TaggedConfigs
from tests.support.memory import MemoryStoreConfig

REGISTRIES = [
    pytest.param(HOME_TYPES, hygge.homes, "HomeConfigUnion", id="homes"),
    pytest.param(STORE_TYPES, hygge.stores, "StoreConfigUnion", id="stores"),
    pytest.param(CONNECTION_TYPES, hygge.connections, "ConnectionConfigUnion", id="connections"),
]


@pytest.mark.parametrize(("registry", "module", "alias"), REGISTRIES)
def test_every_tag_names_a_class_whose_type_is_that_tag(registry, module, alias):
    for tag, cls in registry.classes().items():
        assert cls.model_fields["type"].default == tag
        assert issubclass(cls, registry.base)


@pytest.mark.parametrize(("registry", "module", "alias"), REGISTRIES)
def test_the_union_mypy_checks_lists_the_classes_the_registry_names(registry, module, alias):
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    typed = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == alias
        and isinstance(node.value, ast.BinOp)
    ]
    assert len(typed) == 1
    union = typed[0].value
    assert union is not None
    names = {n.id for n in ast.walk(union) if isinstance(n, ast.Name)}

    assert names == {cls.__name__ for cls in registry.classes().values()}


@pytest.mark.parametrize(("registry", "module", "alias"), REGISTRIES)
def test_a_config_class_is_importable_from_its_package_by_name(registry, module, alias):
    for cls in registry.classes().values():
        assert getattr(module, cls.__name__) is cls
    with pytest.raises(AttributeError, match="NoSuchConfig"):
        _ = module.NoSuchConfig


def test_a_registry_refuses_a_path_that_names_no_config_of_its_kind():
    registry: TaggedConfigs[Any] = TaggedConfigs(
        hygge.homes.HomeConfig, {"lake": "hygge.stores.files:ParquetStoreConfig"}
    )

    with pytest.raises(TypeError, match="ParquetStoreConfig is no HomeConfig"):
        registry.get("lake")


def _discriminated(registry: TaggedConfigs[Any]) -> Any:
    members: Any = None
    for cls in registry.classes().values():
        members = cls if members is None else members | cls
    return Annotated[members, Field(discriminator="type")]


class _ByUnion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    home: _discriminated(HOME_TYPES)  # type: ignore[valid-type]
    store: _discriminated(STORE_TYPES)  # type: ignore[valid-type]
    connections: dict[str, _discriminated(CONNECTION_TYPES)] = {}  # type: ignore[valid-type]


class _ByRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    home: HomeConfigUnion
    store: StoreConfigUnion
    connections: dict[str, ConnectionConfigUnion] = {}


_PARQUET = {"type": "parquet", "path": "lake"}
_BOTH = {"home": _PARQUET, "store": _PARQUET}
_POSTGRES = {"type": "postgres", "host": "h", "database": "d", "user": "u", "password": "${PW}"}
BLOCKS = [
    pytest.param({"home": _PARQUET, "store": _PARQUET}, id="valid"),
    pytest.param({"home": {"type": "parqet", "path": "x"}, "store": _PARQUET}, id="unknown-tag"),
    pytest.param({"home": {"path": "x"}, "store": _PARQUET}, id="no-tag"),
    pytest.param({"home": {"type": 5}, "store": _PARQUET}, id="tag-not-text"),
    pytest.param({"home": 5, "store": _PARQUET}, id="not-a-mapping"),
    pytest.param({"home": None, "store": _PARQUET}, id="none"),
    pytest.param({"home": _PARQUET, "store": {**_PARQUET, "bogus": 1}}, id="unknown-key"),
    pytest.param({"home": _PARQUET, "store": {"type": "parquet"}}, id="missing-key"),
    pytest.param({"home": _PARQUET, "store": {**_PARQUET, "batch_size": "x"}}, id="bad-number"),
    pytest.param({"home": _PARQUET, "store": {**_PARQUET, "batch_size": 0}}, id="out-of-range"),
    pytest.param({"home": _PARQUET, "store": {**_PARQUET, "compression": "x"}}, id="bad-enum"),
    pytest.param(
        {"home": _PARQUET, "store": {**_PARQUET, "file_pattern": "{nope}-{x}"}},
        id="validator-message-with-braces",
    ),
    pytest.param(
        {"home": {"type": "local", "path": "x", "format": "csv", "format_options": {"a": 1}}},
        id="custom-error-and-missing-store",
    ),
    pytest.param({"home": {"type": "postgres", "table": "t", "x": 1}, "store": _PARQUET}, id="sql"),
    pytest.param({"home": _PARQUET, "store": {"type": "open_mirroring"}}, id="mirroring"),
    pytest.param({"home": _PARQUET, "store": {"type": "onelake", "workspace": "w"}}, id="onelake"),
    pytest.param(
        {"home": _PARQUET, "store": {"type": "duckdb", "path": "d", "table": 5}}, id="ddb"
    ),
    pytest.param({**_BOTH, "connections": {"db": _POSTGRES}}, id="connection"),
    pytest.param({**_BOTH, "connections": {"db": {**_POSTGRES, "port": "x"}}}, id="conn-bad"),
    pytest.param({**_BOTH, "connections": {"db": {"type": "postgre"}}}, id="conn-unknown-tag"),
    pytest.param({**_BOTH, "connections": {"db": {"host": "h"}}}, id="conn-no-tag"),
    pytest.param({**_BOTH, "connections": {"lake": {"type": "local", "x": 1}}}, id="conn-key"),
    pytest.param({**_BOTH, "connections": {"c": {"type": "azure_blob"}}}, id="conn-azure"),
    pytest.param({**_BOTH, "connections": {"f": {"type": "sqlite"}}}, id="conn-sqlite"),
]


def _outcome(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as error:
        found = []
        for detail in error.errors():
            ctx = {k: str(v) for k, v in (detail.get("ctx") or {}).items() if k != "hygge_message"}
            found.append((detail["type"], detail["loc"], detail["msg"], repr(detail["input"]), ctx))
        return found


@pytest.mark.parametrize("data", BLOCKS)
def test_a_block_validates_and_fails_exactly_as_the_discriminated_union_did(data):
    assert _outcome(_ByRegistry, data) == _outcome(_ByUnion, data)


def test_a_config_instance_of_another_kind_or_an_unregistered_class_is_refused():
    store = ParquetStoreConfig

    with pytest.raises(ValidationError, match="Input tag 'memory' found using 'type'"):
        _ByRegistry.model_validate({"home": _PARQUET, "store": MemoryStoreConfig()})
    with pytest.raises(ValidationError, match="valid dictionary"):
        _ByRegistry.model_validate({"home": store(path="x"), "store": _PARQUET})
    kept = store(path="x")
    assert _ByRegistry.model_validate({"home": _PARQUET, "store": kept}).store is kept


def _entity(store: dict[str, Any]) -> ResolvedEntity:
    payload = {"flow": "f", "name": "e", "home": _PARQUET, "store": store, "source_file": "x.yml"}
    return ResolvedEntity.model_validate(payload)


def test_an_entity_dumps_its_blocks_as_their_own_classes_and_loads_back_equal():
    entity = _entity({"type": "postgres", "table": "t", "connection": "db", "batch_size": 5})

    dumped = json.loads(entity.model_dump_json())

    assert dumped["store"]["type"] == "postgres"
    assert dumped["store"]["table"] == "t"
    assert dumped["store"]["batch_size"] == 5
    assert type(entity.store).__name__ == "PostgresStoreConfig"
    assert ResolvedEntity.model_validate(dumped) == entity
    assert "table" not in entity.model_dump(exclude_defaults=True)["home"]


# Loads a workspace of parquet flows and prints the config modules of other kinds it imported.
_LOAD_AND_LIST = """
import sys
from hygge.config import load_workspace
workspace = load_workspace()
assert [e.store.type for e in workspace.entities] == ["parquet"]
kinds = ("hygge.homes.sql", "hygge.stores.sql", "hygge.stores.delta", "hygge.stores.duckdb",
         "hygge.stores.azure", "hygge.stores.open_mirroring", "hygge.connections.sql")
print(sorted(m for m in sys.modules if m.startswith(kinds)))
"""


def test_loading_a_parquet_workspace_imports_no_other_kind_of_config(tmp_path):
    (tmp_path / "flows" / "lake").mkdir(parents=True)
    (tmp_path / "hygge.yml").write_text("name: p\n", encoding="utf-8")
    (tmp_path / "flows" / "lake" / "flow.yml").write_text(
        "home: {type: parquet, path: land}\nstore: lake\n", encoding="utf-8"
    )

    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_LIST],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


HOSTILE_TAGS = [
    pytest.param("hygge.stores.files:ParquetStoreConfig", id="an-import-path"),
    pytest.param("__class__", id="a-dunder"),
    pytest.param("Parquet", id="another-case"),
    pytest.param("5", id="a-number"),
    pytest.param("[parquet]", id="a-list"),
]


@pytest.mark.parametrize("tag", HOSTILE_TAGS)
def test_a_store_type_that_is_no_registered_tag_is_an_unknown_type_at_its_line(
    write_workspace, tag
):
    root = write_workspace({"flows/orders/flow.yml": f"home: in\nstore:\n  type: {tag}\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    shown = str(yaml.safe_load(f"t: {tag}")["t"])
    assert raised.value.detail.startswith(f"unknown store type '{shown}'")
    assert (raised.value.file, raised.value.line) == ("flows/orders/flow.yml", 3)
    assert raised.value.hint == "supported store types: " + ", ".join(STORE_TYPES.tags())


def test_a_project_dumps_its_connections_as_their_own_classes_and_loads_back_equal():
    project = ProjectConfig.model_validate({"name": "p", "connections": {"db": _POSTGRES}})

    dumped = json.loads(project.model_dump_json())

    assert type(project.connections["db"]).__name__ == "PostgresConnection"
    assert dumped["connections"]["db"]["host"] == "h"
    assert dumped["connections"]["db"]["password"] == "${PW}"
    assert ProjectConfig.model_validate(dumped) == project
