"""An original-hygge workspace loads unchanged; legacy keys warn instead of failing."""

from __future__ import annotations

from hygge.config import load_workspace
from hygge.types import RunType

ORIGINAL = {
    "hygge.yml": """
        name: "my_project"
        flows_dir: "flows"
        connections:
          azure_sql:
            type: mssql
            server: ${AZURE_SQL_SERVER}
            database: ${AZURE_SQL_DATABASE:-sales}
            pool_size: 3
        options:
          log_level: INFO
          continue_on_error: false
          concurrency: 4
        """,
    "flows/example_flow/flow.yml": """
        name: example_flow
        home:
          type: parquet
          path: data/source/
        store:
          type: parquet
          path: data/destination
          compression: zstd
          polish:
            columns: {remove_special: true, case: pascal}
            hash_ids:
              - {name: RowHash, from_columns: [id, name]}
        defaults:
          key_column: id
          batch_size: 10000
        full_drop: false
        watermark:
          primary_key: id
          watermark_column: updated_at
        """,
    "flows/example_flow/entities/users.yml": """
        name: users
        columns:
          - id
          - name
        source_config:
          where: "active = 1"
        if_exists: replace
        batch_size: 5000
        """,
    "flows/example_flow/entities/accounts.yml": """
        name: accounts
        home:
          path: accounts_v2
        options:
          batch_size: 100000
        """,
}
ENV = {"AZURE_SQL_SERVER": "sql.example.net"}


def test_original_workspace_loads_with_every_setting_applied(write_workspace):
    root = write_workspace(ORIGINAL)

    workspace = load_workspace(root, env=ENV)

    assert workspace.name == "my_project"
    assert workspace.project.options.concurrency == 4
    assert workspace.project.connections["azure_sql"].server == "sql.example.net"
    assert workspace.project.connections["azure_sql"].database == "sales"
    users = workspace.entity("example_flow.users")
    assert users.run_type is RunType.INCREMENTAL
    assert users.watermark is not None
    assert users.watermark.column == "updated_at"
    assert users.watermark.key_columns == ["id"]
    assert users.home.path == "data/source/users"
    assert users.store.path == "data/destination/users"
    assert users.store.batch_size == 5000
    assert users.store.compression == "zstd"
    assert users.polish is not None
    assert users.polish.columns is not None
    assert users.polish.columns.case == "pascal"
    assert users.polish.hash_ids[0].name == "RowHash"


def test_flow_defaults_reach_entities_that_do_not_override_them(write_workspace):
    root = write_workspace(ORIGINAL)

    accounts = load_workspace(root, env=ENV).entity("example_flow.accounts")

    assert accounts.store.batch_size == 10000
    assert accounts.home.path == "data/source/accounts_v2"
    assert accounts.store.path == "data/destination/accounts"


def test_store_polish_moves_to_the_entity_so_it_is_applied_once(write_workspace):
    root = write_workspace(ORIGINAL)

    users = load_workspace(root, env=ENV).entity("example_flow.users")

    assert users.polish is not None
    assert users.store.polish is None


def test_keys_the_original_ignored_are_reported_as_having_no_effect(write_workspace):
    root = write_workspace(ORIGINAL)

    warnings = load_workspace(root, env=ENV).warnings

    assert "flows/example_flow/flow.yml line 14: 'key_column' has no effect; remove it" in warnings
    users = "flows/example_flow/entities/users.yml"
    assert f"{users} line 2: 'columns' has no effect; remove it" in warnings
    assert f"{users} line 5: 'source_config' has no effect; remove it" in warnings
    accounts = "flows/example_flow/entities/accounts.yml"
    assert f"{accounts} line 4: 'options' has no effect; remove it" in warnings


def test_store_default_key_the_store_type_lacks_is_ignored_with_a_warning(write_workspace):
    root = write_workspace(ORIGINAL)

    warnings = load_workspace(root, env=ENV).warnings

    assert (
        "flows/example_flow/entities/users.yml line 7: 'if_exists' has no effect for store "
        "type 'parquet'; remove it"
    ) in warnings


def test_store_default_keys_from_flow_defaults_fill_the_store_block(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": """
                home: in
                store: {type: local, path: out, format: csv}
                defaults:
                  batch_size: 77
                """,
        }
    )

    entity = load_workspace(root).entity("f.f")

    assert entity.store.batch_size == 77


def test_sample_options_key_max_parallel_entities_is_accepted_with_a_warning(write_workspace):
    root = write_workspace(
        {
            "hygge.yml": "options:\n  max_parallel_entities: 3\n",
            "flows/f/flow.yml": "home: in\nstore: out\n",
        }
    )

    workspace = load_workspace(root)

    assert workspace.warnings == [
        "hygge.yml line 2: 'options.max_parallel_entities' has no effect; remove it"
    ]


def test_journal_location_is_accepted_and_the_journal_stays_in_the_state_folder(write_workspace):
    root = write_workspace(
        {
            "hygge.yml": "journal:\n  location: store\n",
            "flows/f/flow.yml": "home: in\nstore: out\n",
        }
    )

    workspace = load_workspace(root)

    assert workspace.journal_dir == root.resolve() / ".hygge" / "journal"
    assert any("'journal.location' has no effect" in w for w in workspace.warnings)


def test_flow_level_options_queue_size_is_honoured(write_workspace):
    root = write_workspace(
        {"flows/f/flow.yml": "home: in\nstore: out\noptions:\n  queue_size: 16\n"}
    )

    assert load_workspace(root).entity("f.f").queue_size == 16


def test_flow_level_journal_is_validated_and_reported_as_having_no_effect(write_workspace):
    root = write_workspace(
        {"flows/f/flow.yml": "home: in\nstore: out\njournal:\n  location: home\n"}
    )

    warnings = load_workspace(root).warnings

    assert warnings[0].startswith("flows/f/flow.yml line 3: 'journal' in a flow or entity")
