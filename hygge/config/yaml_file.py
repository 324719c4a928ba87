"""Read one YAML file into a `Tracked` mapping: values plus the line of every key."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hygge.config.tracked import KeyPath, Origin, Tracked
from hygge.errors import ConfigError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(yaml.SafeLoader):
    """Safe YAML without timestamp parsing: dates stay strings, so every value is JSON-ready."""

    yaml_implicit_resolvers = _RESOLVERS


_CLoader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
_Composer = (
    _Loader
    if _CLoader is None
    else type("_CLoader", (_CLoader,), {"yaml_implicit_resolvers": _RESOLVERS})
)
"""libyaml's parser where PyYAML has it (its wheels do): the same nodes, marks and resolvers,
composed in C. A file it refuses is parsed again by `_Loader`, whose words every error keeps."""


def parse_yaml(text: str, file: str) -> Tracked:
    """Parse `text` (the content of workspace-relative `file`); the top must be a mapping."""
    try:
        return _parse(_Composer, text, file)
    except ConfigError as exc:
        if _Composer is _Loader or not isinstance(exc.__cause__, yaml.YAMLError):
            raise
    return _parse(_Loader, text, file)


def _parse(composer: type[yaml.SafeLoader], text: str, file: str) -> Tracked:
    found = _BREAKS_EDITORS_SHOW_NOT.search(text)
    if found is not None:
        why = "YAML reads as a line break that editors do not show, so later lines and values"
        raise _unprintable_at(found.start(), ord(found.group()), text, file, why=f"{why} shift")
    try:
        loader = composer(text)  # the Python reader refuses a control character here
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, file) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(
                "the file is empty; it must hold a mapping of keys", file=file, hint=_HINT
            )
        if not isinstance(node, MappingNode):
            raise ConfigError(
                f"expected a mapping of keys at the top of the file, found {_kind(node)}",
                file=file,
                line=node.start_mark.line + 1,
                hint=_HINT,
            )
        reader = _Reader(loader, file)
        data = reader.mapping(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable YAML"
        raise ConfigError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
            hint="check the indentation and quoting around this line",
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from exc
    finally:
        loader.dispose()
    return Tracked(data, reader.origins, file)


_BREAKS_EDITORS_SHOW_NOT = re.compile("[\u0085\u2028\u2029]")
"""NEL (a C1 control character), LINE and PARAGRAPH SEPARATOR: YAML 1.1 takes each for a line
break, so every line after one was numbered one more than an editor shows it (an error named
the wrong line) and a value broke there. Refused as the control characters YAML refuses."""


def _unprintable(exc: yaml.reader.ReaderError, text: str, file: str) -> ConfigError:
    """A character YAML does not allow (a control character, U+FFFE...), named by line."""
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return _unprintable_at(exc.position, code, text, file)


def _unprintable_at(
    position: int,
    code: int,
    text: str,
    file: str,
    *,
    why: str = "YAML does not allow in a file (a control character, perhaps pasted with the text)",
) -> ConfigError:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return ConfigError(
        f"invalid YAML: column {column} holds the character U+{code:04X}, which {why}",
        file=file,
        line=line,
        hint=f'delete it; a value that needs it is written double-quoted, escaped: "{escape}"',
    )


_HINT = "write `key: value` lines, e.g. `home: data/landing`"
MAX_VALUES = 100_000
"""Values one workspace file may expand to: a workspace holds a few thousand at most; an alias
bomb (anchors whose lists repeat other aliases) would hold billions."""


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}" if isinstance(node, ScalarNode) else "something else"


class _Reader:
    """Turns composed nodes into plain values, recording the line of every key and list item."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.origins: dict[KeyPath, Origin] = {}
        self._own_keys: dict[int, set[int]] = {}  # mapping node -> its own (non-merged) keys
        self._open: set[int] = set()  # the mappings and lists being read, outermost first
        self._values = 0

    def value(self, node: Node, path: KeyPath) -> Any:
        self._values += 1
        if self._values > MAX_VALUES:
            raise ConfigError(
                f"the file expands to more than {MAX_VALUES:,} values (aliases of anchors "
                "that repeat other aliases)",
                file=self.file,
                line=node.start_mark.line + 1,
                hint="write the values out, or repeat fewer aliases",
            )
        if not isinstance(node, MappingNode | SequenceNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self._open:
            raise ConfigError(
                "an alias here refers to a mapping or list that contains it, so its value "
                "would never end",
                file=self.file,
                line=node.start_mark.line + 1,
                hint="refer to an anchor outside the value it is used in",
            )
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            items = []
            for index, item in enumerate(node.value):
                self.origins[(*path, index)] = Origin(self.file, item.start_mark.line + 1)
                items.append(self.value(item, (*path, index)))
            return items
        finally:
            self._open.discard(id(node))

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        if id(node) not in self._own_keys:  # an aliased node is flattened once only
            self._own_keys[id(node)] = {id(key) for key, _ in node.value if key.tag != _MERGE}
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        own_keys = self._own_keys[id(node)]
        result: dict[str, Any] = {}
        from_merge: set[str] = set()
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in result and key not in from_merge:
                first = self.origins[(*path, key)].line
                raise ConfigError(
                    f"duplicate key '{key}' (first given at line {first})",
                    file=self.file,
                    line=key_node.start_mark.line + 1,
                    hint="keep one of them",
                )
            from_merge.discard(key)
            if id(key_node) not in own_keys:
                from_merge.add(key)
            self.origins[(*path, key)] = Origin(self.file, key_node.start_mark.line + 1)
            result[key] = self.value(value_node, (*path, key))
        return result

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise ConfigError(
                "a key must be a plain name, not a list or mapping",
                file=self.file,
                line=node.start_mark.line + 1,
            )
        return str(node.value)  # the text as written: `on:`/`yes:` stay names, not booleans
