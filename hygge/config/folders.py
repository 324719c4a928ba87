"""Folders that must not overlap: an entity's file home and store, and entities' store folders.

A file store owns its folder: a full_drop run replaces all of it. So the folder must hold
neither the entity's own home (the run would delete its source, and later runs would read
their own output) nor another entity's store. Reading another entity's store as a home is
chaining, and fine. Paths compare as real paths (joined onto the workspace root, through
symbolic links), so a link cannot hide an overlap; `~` is refused, never expanded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath

from hygge.config.entity import DeclaredEntity
from hygge.config.store_paths import real_path, refuse_unexpanded, refuse_unsafe_store
from hygge.config.tracked import Origin
from hygge.connections import ConnectionConfig, LocalConnection
from hygge.errors import ConfigError
from hygge.homes import HomeConfig
from hygge.io.unsafe_folders import user_homes
from hygge.stores import StoreConfig

_SHARED_HINT = (
    "give each entity its own store folder: change a store path, or the entity name that is "
    "appended to it"
)


def check_folders(
    root: Path,
    entities: Sequence[DeclaredEntity],
    protected: Sequence[Path] = (),
    connections: Mapping[str, ConnectionConfig] | None = None,
) -> None:
    """ConfigError if an entity's file home and store overlap, two store folders do, or a
    store folder holds one of the workspace's own folders (`protected`: the workspace root,
    the flows folder, the state folder). Paths of a `local` connection join onto its root."""
    stores: dict[PurePath, DeclaredEntity] = {}
    kept = [real_path(root, str(path)) for path in protected]
    # What is the same for every entity, resolved once per load (each entity's own folders
    # are still resolved and checked one by one).
    safety = _Safety(root)
    for declared in entities:
        refuse_unexpanded(_path(declared.entity.home), "home", declared.home_at)
        refuse_unexpanded(_path(declared.entity.store), "store", declared.store_at)
        store = folder_of(root, declared.entity.store, connections)
        if store is None:
            store = declared.entity.store.local_table_folder(root, declared.entity.name)
        if store is None:
            continue
        _check_safe(safety, declared, store)
        _check_protected(declared, store, kept)
        _check_inside_own(declared, store, kept[1:])  # kept[0]: the root, where stores belong
        home = folder_of(root, declared.entity.home, connections)
        if home is not None:
            _check_own(declared, home, store)
            _check_home_clear(declared, home, kept[2:])
        if store in stores:
            _refuse_shared(declared, stores[store])
        stores[store] = declared
    for store, declared in stores.items():
        for parent in store.parents:
            if parent in stores:
                _refuse_nested(declared, stores[parent])


def folder_of(
    root: Path,
    config: HomeConfig | StoreConfig,
    connections: Mapping[str, ConnectionConfig] | None = None,
) -> PurePath | None:
    """The real absolute path of a file home or store (through links, joined onto its local
    connection's root); None for other types and for files on other connections."""
    path = getattr(config, "path", None)
    if not type(config).entity_subfolder or not isinstance(path, str):
        return None
    if "://" in path:
        return None  # an object-store address (a delta table in Azure): no local folder
    if isinstance(config, StoreConfig) and type(config).on_object_storage:
        return None  # blobs in an account the store names: no local folder
    if config.connection is not None:
        connection = (connections or {}).get(config.connection)
        if not isinstance(connection, LocalConnection):
            return None  # not a local folder (or unknown: check_connections says so)
        if connection.root is not None and not connection.root.startswith("~"):
            root = Path(real_path(root, connection.root))
    return real_path(root, path)


class _Safety:
    """The workspace root's real path, the user's homes and the flows' store roots, each
    resolved once for all the entities of a load."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = real_path(root, ".")
        self.homes = user_homes()
        self._bases: dict[str, PurePath] = {}

    def base(self, flow_root: str) -> PurePath:
        found = self._bases.get(flow_root)
        if found is None:
            found = self._bases[flow_root] = real_path(self.root, flow_root)
        return found


def _check_safe(safety: _Safety, declared: DeclaredEntity, store: PurePath) -> None:
    """The entity folder and the flow's store root it sits in are folders a store may own."""
    name, path = declared.entity.qualified_name, _path(declared.entity.store)
    real_root, homes, origin = safety.real_root, safety.homes, declared.store_at
    refuse_unsafe_store(
        name, path, store, root=real_root, origin=origin, what="folder", homes=homes
    )
    flow_root = declared.store_root
    if flow_root is None or flow_root.startswith("~"):
        return
    base = safety.base(flow_root)
    if _inside(store, base):
        refuse_unsafe_store(
            name, path, base, root=real_root, origin=origin, what="store root", homes=homes
        )


def _check_own(declared: DeclaredEntity, home: PurePath, store: PurePath) -> None:
    entity = declared.entity
    home_path = f"its home '{_path(entity.home)}' ({declared.home_at.describe()})"
    store_path = f"its store '{_path(entity.store)}' ({declared.store_at.describe()})"
    if home == store:
        relation = f"{home_path} and {store_path} are the same folder"
    elif _inside(home, store):
        relation = f"{home_path} is inside {store_path}"
    elif _inside(store, home):
        relation = f"{store_path} is inside {home_path}"
    else:
        return
    raise ConfigError(
        f"entity '{entity.qualified_name}': {relation}; a full_drop run would delete files "
        "the home reads, and the home would read the store's own output",
        file=declared.source.file,
        line=declared.source.line,
        hint="give the home and the store separate folders, neither inside the other "
        "(e.g. home: landing, store: lake)",
    )


def _check_home_clear(declared: DeclaredEntity, home: PurePath, own: list[PurePath]) -> None:
    """A state or journal folder in an entity's home folder would be read as its source."""
    for folder in own:
        if folder == home or _inside(folder, home):
            raise ConfigError(
                f"entity '{declared.entity.qualified_name}' reads its home "
                f"'{_path(declared.entity.home)}', which holds the workspace's own folder "
                f"{folder}; the home would read hygge's state and journal files as its data",
                file=declared.source.file,
                line=declared.source.line,
                hint="keep the state folder out of the homes' folders "
                "(`state: {path: ...}` in hygge.yml; the default is .hygge)",
            )


def _check_protected(declared: DeclaredEntity, store: PurePath, kept: list[PurePath]) -> None:
    for folder in kept:
        if folder == store or _inside(folder, store):
            raise ConfigError(
                f"entity '{declared.entity.qualified_name}' stores into "
                f"'{_path(declared.entity.store)}', which holds the workspace's own folder "
                f"{folder}; a full_drop run replaces its whole store folder and would delete it",
                file=declared.source.file,
                line=declared.source.line,
                hint="store into a folder of its own, e.g. store: lake",
            )


def _check_inside_own(declared: DeclaredEntity, store: PurePath, own: list[PurePath]) -> None:
    """A store inside the state, journal or flows folder would replace or mix with them."""
    for folder in own:
        if _inside(store, folder):
            raise ConfigError(
                f"entity '{declared.entity.qualified_name}' stores into "
                f"'{_path(declared.entity.store)}', inside the "
                f"workspace's own folder {folder}; a full_drop run replaces its store folder, "
                "and hygge keeps its state, journal and flow files there",
                file=declared.source.file,
                line=declared.source.line,
                hint="store into a folder of its own, e.g. store: lake",
            )


def _refuse_shared(declared: DeclaredEntity, first: DeclaredEntity) -> None:
    entity = declared.entity
    raise ConfigError(
        f"entity '{entity.qualified_name}' stores into '{_path(entity.store)}', which is also "
        f"the store folder of entity {_named(first)}; each run of one would replace or mix "
        "with the other's files",
        file=declared.source.file,
        line=declared.source.line,
        hint=_SHARED_HINT,
    )


def _refuse_nested(declared: DeclaredEntity, outer: DeclaredEntity) -> None:
    inner = declared.entity.qualified_name
    raise ConfigError(
        f"entity '{inner}' stores into '{_path(declared.entity.store)}', inside "
        f"'{_path(outer.entity.store)}', the store folder of entity {_named(outer)}; a "
        f"full_drop run of '{outer.entity.qualified_name}' would delete the files of '{inner}'",
        file=declared.source.file,
        line=declared.source.line,
        hint=_SHARED_HINT,
    )


def _inside(path: PurePath, folder: PurePath) -> bool:
    """Whether `folder` is one of `path`'s parents (both real paths), without building each
    parent path as `folder in path.parents` does."""
    depth = len(folder.parts)
    # Compared as paths (a Windows path compares without case), one parent built, not all.
    return len(path.parts) > depth and type(folder)(*path.parts[:depth]) == folder


def _named(declared: DeclaredEntity) -> str:
    where = Origin(declared.source.file, declared.source.line).describe()
    return f"'{declared.entity.qualified_name}' ({where})"


def _path(config: HomeConfig | StoreConfig) -> str:
    return str(getattr(config, "path", ""))
