"""Where a delta store's table is and how delta-rs is told to reach it (no service needed)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pydantic import SecretStr

from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError, DataError
from hygge.stores.delta import DeltaStoreConfig
from hygge.stores.delta.location import _split_url, locate, storage_options
from hygge.stores.delta.schema import delta_frame, fits
from hygge.types import Place


def secrets(**values: str) -> dict[str, SecretStr]:
    return {name: SecretStr(value) for name, value in values.items()}


@pytest.mark.parametrize(
    ("path", "split"),
    [
        pytest.param("az://lake/Tables/orders", (None, "lake", "Tables/orders"), id="az"),
        pytest.param(
            "abfss://fs@acct.dfs.core.windows.net/t/orders",
            ("https://acct.dfs.core.windows.net", "fs", "t/orders"),
            id="abfss",
        ),
        pytest.param(
            "https://acct.dfs.core.windows.net/fs/t/orders",
            ("https://acct.dfs.core.windows.net", "fs", "t/orders"),
            id="https",
        ),
        pytest.param(
            "abfss://ws@onelake.dfs.fabric.microsoft.com/sales.Lakehouse/Tables/dbo/orders",
            ("https://onelake.dfs.fabric.microsoft.com", "ws", "sales.Lakehouse/Tables/dbo/orders"),
            id="onelake",
        ),
    ],
)
def test_an_address_names_account_container_and_folder(path, split):
    assert _split_url(path) == split


def test_an_account_key_is_handed_to_delta_rs_with_the_account_name():
    connection = AzureBlobConnection(
        account_url="https://acct.dfs.core.windows.net",
        container="lake",
        credential="storage_key",
        storage_account_key="${KEY}",
    )
    options = storage_options(connection, secrets(storage_account_key="k=="))
    assert options == {"account_name": "acct", "account_key": "k=="}


def test_a_connection_string_becomes_account_key_and_emulator_endpoint():
    text = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    )
    connection = AzureBlobConnection(
        container="lake", credential="connection_string", connection_string="${CS}"
    )
    assert storage_options(connection, secrets(connection_string=text)) == {
        "account_name": "devstoreaccount1",
        "account_key": "a2V5",
        "endpoint": "http://127.0.0.1:10000/devstoreaccount1",
        "allow_http": "true",
    }


def test_a_sas_and_a_service_principal_are_passed_as_delta_rs_names_them():
    sas = AzureBlobConnection(
        account_url="https://acct.blob.core.windows.net", container="c", credential="sas",
        sas="${SAS}",
    )  # fmt: skip
    assert storage_options(sas, secrets(sas="?sv=1&sig=x"))["sas_token"] == "sv=1&sig=x"
    principal = AzureBlobConnection(
        account_url="https://acct.blob.core.windows.net", container="c",
        credential="service_principal", tenant_id="t", client_id="c1", client_secret="${S}",
    )  # fmt: skip
    options = storage_options(principal, secrets(client_secret="s"))
    assert (options["client_id"], options["client_secret"], options["tenant_id"]) == (
        "c1",
        "s",
        "t",
    )


def test_onelake_uses_the_fabric_endpoint():
    connection = AzureBlobConnection(
        account_url="https://onelake.dfs.fabric.microsoft.com", container="ws",
        credential="service_principal", tenant_id="t", client_id="c", client_secret="${S}",
    )  # fmt: skip
    options = storage_options(connection, secrets(client_secret="s"))
    assert options["use_fabric_endpoint"] == "true" and options["account_name"] == "onelake"


def test_a_local_table_in_the_filesystem_root_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="the filesystem root"):
        locate(DeltaStoreConfig(path="/"), Place(tmp_path, "f", "e"))


def test_a_local_table_is_its_real_folder_and_a_file_there_is_refused(tmp_path):
    place = Place(tmp_path, "f", "e")
    assert (
        locate(DeltaStoreConfig(path="lake/t"), place).local == (tmp_path / "lake" / "t").resolve()
    )
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        locate(DeltaStoreConfig(path="file"), place)


@pytest.mark.parametrize(
    ("new", "have", "fit"),
    [
        pytest.param(pa.int32(), pa.int64(), True, id="int32-into-long"),
        pytest.param(pa.int64(), pa.int32(), False, id="long-into-int"),
        pytest.param(pa.float32(), pa.float64(), True, id="float-into-double"),
        pytest.param(pa.int16(), pa.float64(), True, id="short-into-double"),
        pytest.param(pa.large_string(), pa.string(), True, id="large-string"),
        pytest.param(pa.string(), pa.int64(), False, id="string-into-long"),
        pytest.param(pa.decimal128(10, 2), pa.decimal128(12, 2), True, id="decimal-room"),
        pytest.param(pa.decimal128(12, 2), pa.decimal128(10, 2), False, id="decimal-no-room"),
        pytest.param(pa.timestamp("ns"), pa.timestamp("us"), True, id="timestamp-unit"),
        pytest.param(pa.timestamp("us", "UTC"), pa.timestamp("us"), False, id="timestamp-tz"),
    ],
)
def test_which_types_fit_a_delta_column(new, have, fit):
    assert fits(new, have) is fit


def test_a_type_delta_has_no_type_for_is_refused_naming_the_column():
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame({"id": [1], "at": [dt.time(1, 2)]})
    with pytest.raises(DataError, match="column at is a Time"):
        delta_frame(frame, "t")
    widened = delta_frame(pl.DataFrame({"n": pl.Series([1], dtype=pl.UInt32)}), "t")
    assert widened.schema["n"] == pl.Int64
