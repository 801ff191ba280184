"""Read a YAML bundle for `testament apply`, and point at the line each problem is on.

The server names a bad field by its path (`test_cases[0].content.steps[1].request.url`); a
person fixes a file by its line. PyYAML's node tree keeps each node's position, so a path is
walked down the tree to the deepest node that exists (a missing field points at its parent).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BundleFile", "BundleFileError", "read_bundle"]


class BundleFileError(Exception):
    """The file cannot be a bundle: unreadable, not YAML, empty, or not a mapping."""


@dataclass(frozen=True)
class BundleFile:
    path: Path
    data: dict[str, Any]
    root: yaml.Node

    def where(self, field: str) -> str:
        """`FILE:LINE: field` for a field path: the line of its value (or of its nearest existing
        parent, for a field that is missing)."""
        path = _strip_root(field)
        node = _walk(self.root, path)
        return f"{self.path}:{node.start_mark.line + 1}: {path or '(the whole file)'}"


def read_bundle(path: Path) -> BundleFile:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleFileError(f"{path}: cannot be read ({exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise BundleFileError(f"{where}: not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise BundleFileError(f"{path}: not valid YAML: {exc}") from None
    if root is None or data is None:
        raise BundleFileError(f"{path} is empty: nothing to apply")
    if not isinstance(data, dict):
        raise BundleFileError(
            f"{path}:{root.start_mark.line + 1}: expected a mapping with environments, test_cases, "
            f"suites or plans, found {type(data).__name__}"
        )
    return BundleFile(path, data, root)


def _value_of(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value
                return found
    return None


def _strip_root(field: str) -> str:
    """Paths from the bundle's own schema start at `bundle`."""
    return field.removeprefix("bundle.") if field != "bundle" else ""


def _walk(node: yaml.Node, path: str) -> yaml.Node:
    while path:
        if path.startswith('["'):  # a key that holds dots, quoted: json["$.user.name"]
            key, _, rest = path[2:].partition('"]')
            found = _value_of(node, key)
            if found is None:
                return node
            node, path = found, rest.removeprefix(".")
            continue
        if path.startswith("["):
            index, _, rest = path[1:].partition("]")
            if not (isinstance(node, yaml.SequenceNode) and index.isdigit() and int(index) < len(node.value)):
                return node
            node, path = node.value[int(index)], rest.removeprefix(".")
            continue
        if not isinstance(node, yaml.MappingNode):
            return node
        # Keys may hold dots themselves (`$.user.name`): take the longest key the path begins with.
        matches = [
            (key.value, value)
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode)
            and path.startswith(str(key.value))
            and path[len(str(key.value)) :][:1] in ("", ".", "[")
        ]
        if not matches:
            return node
        key_text, node = max(matches, key=lambda match: len(str(match[0])))
        path = path[len(str(key_text)) :].removeprefix(".")
    return node
