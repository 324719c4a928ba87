"""azure_blob connections: the credentials they accept (the original hygge's names too), what
each needs, and the credential object each opens with (built here without any network call)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from hygge.connections import AzureBlobConnection
from hygge.storage.blob_credentials import open_connection

URL = "https://acct.blob.core.windows.net"
SECRET = "Sup3r-Secret-Value-x1"


def _connection(**fields) -> AzureBlobConnection:
    return AzureBlobConnection.model_validate({"account_url": URL, "container": "lake", **fields})


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"credential": "key"}, "key"),
        ({"credential": "storage_key"}, "storage_account_key"),
        ({"credential": "sas"}, "sas"),
        ({"credential": "service_principal", "tenant_id": "t", "client_id": "c"}, "client_secret"),
        ({"credential": "service_principal", "client_secret": "${S}"}, "tenant_id"),
    ],
)
def test_each_credential_names_the_field_it_needs(fields, missing):
    with pytest.raises(ValidationError, match=f"needs `{missing}:"):
        _connection(**fields)


@pytest.mark.parametrize("field", ["storage_account_key", "client_secret", "key", "sas"])
def test_a_secret_written_as_its_value_is_refused(field):
    with pytest.raises(ValidationError, match=r"reference to an environment variable"):
        _connection(**{field: SECRET})


def test_an_account_url_is_needed_except_with_a_connection_string():
    with pytest.raises(ValidationError, match="needs `account_url`"):
        AzureBlobConnection.model_validate({"container": "lake"})
    connection = AzureBlobConnection.model_validate(
        {"container": "lake", "credential": "connection_string", "connection_string": "${CS}"}
    )
    assert connection.account_url is None


def _credential_of(connection: AzureBlobConnection, secrets: dict[str, str]):
    resolved = {name: SecretStr(value) for name, value in secrets.items()}
    storage = open_connection(connection, "lake", resolved)
    return storage, storage.client.credential


def test_the_original_credential_names_open_the_same_credentials():
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential

    storage, credential = _credential_of(
        _connection(credential="storage_key", storage_account_key="${K}"),
        {"storage_account_key": "a2V5"},
    )
    assert credential.account_name == "acct" and credential.account_key == "a2V5"
    assert "account key in ${K} of 'acct'" in storage.identity  # the variable, not its value

    storage, credential = _credential_of(
        _connection(
            credential="service_principal", tenant_id="ten", client_id="cid", client_secret="${S}"
        ),
        {"client_secret": SECRET},
    )
    assert isinstance(credential, ClientSecretCredential)
    assert "service principal cid of tenant ten" in storage.identity
    assert SECRET not in storage.identity

    storage, credential = _credential_of(
        _connection(credential="managed_identity", client_id="uami"), {}
    )
    assert isinstance(credential, ManagedIdentityCredential)
    assert "managed identity uami" in storage.identity


def test_default_is_default_azure_credential_and_sas_a_sas_credential():
    from azure.core.credentials import AzureSasCredential
    from azure.identity import DefaultAzureCredential

    storage, credential = _credential_of(_connection(), {})
    assert isinstance(credential, DefaultAzureCredential)
    assert storage.label == "az://lake" and "DefaultAzureCredential" in storage.identity

    storage, credential = _credential_of(
        _connection(credential="sas", sas="${SAS}"), {"sas": "?sv=2024&sig=abc"}
    )
    assert isinstance(credential, AzureSasCredential) and credential.signature == "sv=2024&sig=abc"


def test_a_connection_without_a_container_is_refused_when_it_opens():
    from hygge.errors import ConfigError

    with pytest.raises(ConfigError, match="connection 'lake' names no container"):
        open_connection(AzureBlobConnection(account_url=URL), "lake", {})
