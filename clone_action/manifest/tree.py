"""PATH steps, and the places a PATH resolves to in a parsed YAML or JSON tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """A mapping key: `name` in `a.name.b`, or `"example.com/db"` quoted."""

    name: str


@dataclass(frozen=True)
class Index:
    """`[2]`: the list item at that index."""

    index: int


@dataclass(frozen=True)
class Every:
    """`[*]`: every item of the list."""


@dataclass(frozen=True)
class Match:
    """`[name=app]`: the list items that are mappings whose `key` is `value`."""

    key: str
    value: str


Step = Key | Index | Every | Match

MISSING: Any = object()


def scalar_text(value: Any) -> str | None:
    """A scalar as a selector compares it; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def find_key(mapping: dict[Any, Any], name: str) -> Any:
    """The key of mapping that PATH's `name` means (`2` matches the int key 2), or MISSING."""
    if name in mapping:
        return name
    return next((key for key in mapping if not isinstance(key, str) and scalar_text(key) == name), MISSING)


def _indexes(node: list[Any], step: Index | Every | Match) -> list[int]:
    if isinstance(step, Index):
        return [step.index] if step.index < len(node) else []
    if isinstance(step, Every):
        return list(range(len(node)))
    return [
        i
        for i, item in enumerate(node)
        if isinstance(item, dict)
        and (key := find_key(item, step.key)) is not MISSING
        and scalar_text(item[key]) == step.value
    ]


def targets(root: Any, path: tuple[Step, ...], *, create: bool) -> list[tuple[Any, Any]]:
    """(container, key-or-index) for every place PATH resolves to under root.

    With `create`, a missing last key of a mapping is a place too, but never at the root: a rule
    meant for a dotenv KEY must not add top-level keys to every YAML file.
    """
    nodes: list[Any] = [root]
    found: list[tuple[Any, Any]] = []
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        following: list[Any] = []
        for node in nodes:
            if isinstance(step, Key):
                if not isinstance(node, dict):
                    continue
                key = find_key(node, step.name)
                if key is not MISSING and last:
                    found.append((node, key))
                elif key is not MISSING:
                    following.append(node[key])
                elif last and create and depth > 0:
                    found.append((node, step.name))
            elif isinstance(node, list):
                indexes = _indexes(node, step)
                if last:
                    found.extend((node, i) for i in indexes)
                else:
                    following.extend(node[i] for i in indexes)
        nodes = following
    return found
