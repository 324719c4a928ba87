"""The connection base and secret references (`${VAR}`, resolved only when a plugin opens)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, TypeAlias

from pydantic import AfterValidator, SecretStr

from hygge.errors import ConfigError
from hygge.types import Strict

# Fields of any connection that hold secrets: hygge.yml keeps their `${VAR}` unexpanded.
SECRET_FIELDS = frozenset(
    {"password", "key", "sas", "connection_string", "storage_account_key", "client_secret"}
)
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _a_reference(value: str) -> str:
    if not _REFERENCE.fullmatch(value):
        raise ValueError(
            "a secret is written as a reference to an environment variable, e.g. "
            "${PG_PASSWORD}, never as its value in the file"
        )
    return value


SecretReference: TypeAlias = Annotated[str, AfterValidator(_a_reference)]


# Secrets a store block may hold itself (adls, onelake, blob: the account named inline).
STORE_SECRET_FIELDS = frozenset(
    {"storage_account_key", "client_secret", "sas", "connection_string"}
)


def is_secret_path(path: tuple[str | int, ...]) -> bool:
    """Whether `path` in a workspace file is a secret, kept as `${VAR}` until a plugin opens:
    a connection's (`connections.<name>.password`) or a store block's own
    (`store.storage_account_key`, also under `defaults:` or an inline entity)."""
    if len(path) == 3 and path[0] == "connections":
        return path[2] in SECRET_FIELDS
    return len(path) >= 2 and path[-2] == "store" and path[-1] in STORE_SECRET_FIELDS


def resolve_secret(reference: str, env: Mapping[str, str], *, where: str) -> SecretStr:
    """The value `reference` (`${VAR}`) names in `env`; ConfigError naming VAR if unset."""
    match = _REFERENCE.fullmatch(reference)
    name = match.group(1) if match else reference
    value = env.get(name)
    if value is None:
        raise ConfigError(
            f"environment variable '{name}' is not set (the secret of {where})",
            hint=f"set {name} where hygge runs (an app setting in Azure)",
        )
    return SecretStr(value)


class ConnectionConfig(Strict):
    """Base of every connection config; subclasses set `type` to their YAML tag."""

    type: str

    def resolve_secrets(self, name: str, env: Mapping[str, str]) -> dict[str, SecretStr]:
        """Each secret field that is set, its `${VAR}` read from `env` (a ConfigError naming
        the connection, the field and VAR when one is unset). Called when a plugin opens."""
        found: dict[str, SecretStr] = {}
        for field in sorted(SECRET_FIELDS & set(type(self).model_fields)):
            reference = getattr(self, field)
            if isinstance(reference, str):
                found[field] = resolve_secret(
                    reference, env, where=f"connection '{name}', field `{field}`"
                )
        return found
