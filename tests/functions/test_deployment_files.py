"""The deployment files agree with the code: infra/ (parsed with pycep-parser), host.json,
local.settings.sample.json, azure.yaml, .funcignore and the settings hygge reads."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pycep import BicepParser

from hygge.functions import settings as app_settings
from hygge.functions.settings import (
    CHUNK_SECONDS_RANGE,
    DEFAULTS,
    LANDING_CONNECTION,
    SETTING_NAMES,
    STORAGE_CONNECTION,
    read_settings,
)

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))


def bicep(relative: str) -> dict[str, Any]:
    parsed: dict[str, Any] = BicepParser().parse(file_path=INFRA / relative)
    return parsed


def app_settings_in_bicep() -> dict[str, Any]:
    return bicep("modules/functionapp.bicep")["variables"]["appSettings"]["value"]


@pytest.mark.parametrize("path", BICEP_FILES, ids=[str(p.relative_to(INFRA)) for p in BICEP_FILES])
def test_every_bicep_file_parses(path: Path) -> None:
    assert BicepParser().parse(file_path=path)["resources"] or path.name == "main.bicep"


def test_main_wires_every_module_that_exists() -> None:
    modules = {m["detail"]["path"] for m in bicep("main.bicep")["modules"].values()}

    assert modules == {f"modules/{p.name}" for p in (INFRA / "modules").glob("*.bicep")}


def test_the_app_gets_every_setting_hygge_reads_except_the_connection_string() -> None:
    given = {name for name in app_settings_in_bicep() if name.startswith("HYGGE_")}

    assert given == set(SETTING_NAMES) - {STORAGE_CONNECTION}  # Azure: the managed identity


def test_the_code_reads_no_hygge_setting_it_does_not_declare() -> None:
    read: set[str] = set()
    for path in (ROOT / "hygge" / "functions").glob("*.py"):
        read |= set(re.findall(r'"(HYGGE_[A-Z_]+)"', path.read_text()))

    assert read <= set(SETTING_NAMES)


def test_the_bicep_defaults_are_the_code_defaults() -> None:
    params = bicep("main.bicep")["parameters"]

    assert params["schedule"]["default"] == DEFAULTS[app_settings.SCHEDULE]
    assert str(params["chunkSeconds"]["default"]) == DEFAULTS[app_settings.CHUNK_SECONDS]
    assert (
        str(params["maxParallelEntities"]["default"])
        == DEFAULTS[app_settings.MAX_PARALLEL_ENTITIES]
    )
    assert (
        bicep("modules/storage.bicep")["outputs"]["landingContainer"]["value"]
        == DEFAULTS[app_settings.LANDING_CONTAINER]
    )


def test_the_app_is_flex_consumption_python_311_as_its_identity() -> None:
    resources = bicep("modules/functionapp.bicep")["resources"]
    plan, app = resources["plan"]["config"], resources["app"]["config"]

    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert app["identity"]["type"] == "UserAssigned"
    assert app["properties"]["functionAppConfig"]["runtime"] == {
        "name": "python",
        "version": "3.11",
    }
    auth = app["properties"]["functionAppConfig"]["deployment"]["storage"]["authentication"]
    assert auth["type"] == "UserAssignedIdentity"
    assert "FUNCTIONS_WORKER_RUNTIME" not in app_settings_in_bicep()  # refused on Flex


def test_the_blob_trigger_connection_and_host_storage_use_the_identity() -> None:
    given = app_settings_in_bicep()

    for prefix in ("AzureWebJobsStorage", LANDING_CONNECTION):
        assert given[f"{prefix}__credential"] == "managedidentity"
        assert given[f"{prefix}__clientId"] == "identityClientId"
    assert f"{LANDING_CONNECTION}__blobServiceUri" in given
    assert given["AZURE_CLIENT_ID"] == "identityClientId"  # DefaultAzureCredential's identity


def test_storage_has_shared_keys_off_and_hygges_containers() -> None:
    parsed = bicep("modules/storage.bicep")
    props = parsed["variables"]["accountProperties"]["value"]

    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert parsed["variables"]["dataContainerNames"]["value"] == [
        "workspace",
        "state",
        "landing",
        "lake",
    ]


def test_role_assignments_are_the_least_privileged_ones() -> None:
    parsed = bicep("modules/roles.bicep")
    roles = parsed["variables"]["roles"]["value"]
    resources = parsed["resources"]

    assert set(roles.values()) == {
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner (host account)
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor (containers)
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor
        "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
    }
    on_containers = resources["onContainers"]["config"]
    assert on_containers["loop_type"]["detail"]["array_name"] == "dataContainers"
    assert on_containers["config"]["scope"]["operator"]["operands"]["operand_1"] == "containers"
    assert "blobDataContributor" in json.dumps(on_containers["config"]["properties"])
    assert resources["onHost"]["config"]["config"]["scope"] == "host"
    on_data = [r["config"] for r in resources.values() if r["config"].get("scope") == "data"]
    assert [json.dumps(r["properties"]).count("queueDataContributor") for r in on_data] == [1]


def test_the_event_grid_subscription_targets_the_blob_starter_on_the_landing_container() -> None:
    parsed = bicep("eventgrid.bicep")
    subscription = parsed["resources"]["landing"]["config"]["properties"]

    url = subscription["destination"]["properties"]["endpointUrl"]
    assert "runtime/webhooks/blobs?functionName=Host.Functions.start_run_on_blob" in url
    assert subscription["filter"]["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    assert "containers/${landingContainer}/blobs/" in subscription["filter"]["subjectBeginsWith"]


def test_host_json_sets_bundle_hub_caps_and_a_timeout_longer_than_any_chunk() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    durable = host["extensions"]["durableTask"]
    hours, minutes, seconds = (int(part) for part in host["functionTimeout"].split(":"))

    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    assert durable["hubName"]
    assert durable["maxConcurrentActivityFunctions"] >= 1
    assert durable["maxConcurrentOrchestratorFunctions"] >= 1
    assert hours * 3600 + minutes * 60 + seconds >= 1.5 * CHUNK_SECONDS_RANGE[1]


def test_the_local_settings_sample_sets_and_describes_every_setting() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())
    values, described = sample["Values"], sample["_descriptions"]

    assert set(SETTING_NAMES) <= set(values)
    assert set(values) == set(described)
    assert all(described[name] for name in values)
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert (
        values["AzureWebJobsStorage"] == values[LANDING_CONNECTION] == "UseDevelopmentStorage=true"
    )
    assert read_settings({k: v for k, v in values.items() if isinstance(v, str)}).schedule


def test_local_settings_json_is_never_committed_nor_deployed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    funcignore = (ROOT / ".funcignore").read_text().splitlines()

    assert "local.settings.json" in ignored
    assert "local.settings.json" in funcignore
    for needed in ("function_app.py", "host.json", "hygge", "requirements.txt"):
        assert needed not in funcignore


def test_azure_yaml_deploys_one_python_function_service_and_subscribes_after_deploy() -> None:
    spec = yaml.safe_load((ROOT / "azure.yaml").read_text())
    [service] = spec["services"].values()
    script = ROOT / spec["hooks"]["postdeploy"]["posix"]["run"]

    assert (service["language"], service["host"], service["project"]) == ("python", "function", ".")
    assert script.is_file() and os.access(script, os.X_OK)
    assert "infra/eventgrid.bicep" in script.read_text()
