"""Workspace loading: YAML files → validated models → resolved entities.

load_workspace(root)        hygge.yml + flows/<flow>/flow.yml + flows/<flow>/entities/*.yml
find_workspace_root()       the nearest folder with hygge.yml, walking up
workspace_json_schema(kind) JSON Schema for editors (yaml-language-server)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.config.loader import find_workspace_root, load_workspace
from hygge.config.models import (
    FlowInfo,
    JournalConfig,
    OptionsConfig,
    ProjectConfig,
    ResolvedEntity,
    Workspace,
)
from hygge.config.source import (
    LocalFolderSource,
    StorageWorkspaceSource,
    WorkspaceSource,
    open_workspace_source,
)
from hygge.config.watermark import WatermarkConfig
from hygge.state.config import LocalStateConfig, StateConfigUnion

if TYPE_CHECKING:
    from hygge.config.schema import workspace_json_schema

__all__ = [
    "FlowInfo",
    "JournalConfig",
    "LocalFolderSource",
    "LocalStateConfig",
    "OptionsConfig",
    "ProjectConfig",
    "ResolvedEntity",
    "StateConfigUnion",
    "StorageWorkspaceSource",
    "WatermarkConfig",
    "Workspace",
    "WorkspaceSource",
    "find_workspace_root",
    "load_workspace",
    "open_workspace_source",
    "workspace_json_schema",
]


def __getattr__(name: str) -> object:
    """`workspace_json_schema`, imported when first named: only `hygge schema` builds it."""
    if name == "workspace_json_schema":
        from hygge.config.schema import workspace_json_schema

        return workspace_json_schema
    raise AttributeError(f"module 'hygge.config' has no attribute {name!r}")
