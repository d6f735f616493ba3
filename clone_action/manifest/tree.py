"""PATH steps, and the places a PATH resolves to in a parsed YAML or JSON tree."""

from __future__ import annotations

import re
from collections.abc import Callable
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
# A key written without quotes in a PATH (one with '.', '[', ']', '"', '=' or spaces is quoted).
_PLAIN_KEY = re.compile(r"[^.\[\]\"=\s]+")


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


def _places(nodes: list[Any], step: Step) -> list[tuple[Any, Any]]:
    """(container, key-or-index) of what one step reaches from each node."""
    places: list[tuple[Any, Any]] = []
    for node in nodes:
        if isinstance(step, Key) and isinstance(node, dict):
            key = find_key(node, step.name)
            places.extend([] if key is MISSING else [(node, key)])
        elif not isinstance(step, Key) and isinstance(node, list):
            places.extend((node, i) for i in _indexes(node, step))
    return places


def _new_key_places(nodes: list[Any], path: tuple[Step, ...], depth: int) -> list[tuple[Any, Any]]:
    """Where a + rule creates its last key: in each mapping that lacks it, never at the root."""
    step = path[depth]
    if depth == 0 or depth < len(path) - 1 or not isinstance(step, Key):
        return []
    return [
        (node, step.name) for node in nodes if isinstance(node, dict) and find_key(node, step.name) is MISSING
    ]


def targets(root: Any, path: tuple[Step, ...], *, create: bool) -> list[tuple[Any, Any]]:
    """(container, key-or-index) for every place PATH resolves to under root; with `create`, also
    the places of a missing last key."""
    nodes: list[Any] = [root]
    for step in path[:-1]:
        nodes = [container[key] for container, key in _places(nodes, step)]
    places = _places(nodes, path[-1])
    return places + _new_key_places(nodes, path, len(path) - 1) if create else places


@dataclass(frozen=True)
class Miss:
    """Why a PATH resolves nowhere in a document: how many steps resolved, and what is missing."""

    depth: int
    reason: str
    # Only the last key is missing, in a mapping: a + rule would create it.
    creatable: bool = False
    # The reason names a close key or item (did you mean ...?).
    suggests: bool = False


def explain(root: Any, path: tuple[Step, ...], *, create: bool) -> Miss | None:
    """Why PATH (as targets resolves it) reaches no place under root; None when it reaches one."""
    nodes: list[Any] = [root]
    for depth, step in enumerate(path):
        places = _places(nodes, step)
        new = _new_key_places(nodes, path, depth)
        if not places and not (create and new):
            reason = _reason(nodes, path, depth)
            return Miss(depth, reason, creatable=bool(new), suggests=reason.endswith("?)"))
        nodes = [container[key] for container, key in places]
    return None


def path_text(path: tuple[Step, ...]) -> str:
    """PATH written as a rule writes it: `a."example.com/db".list[name=app][0]`."""
    out = ""
    for step in path:
        if isinstance(step, Key):
            name = step.name if _PLAIN_KEY.fullmatch(step.name) else f'"{step.name}"'
            out += f".{name}" if out else name
        elif isinstance(step, Index):
            out += f"[{step.index}]"
        elif isinstance(step, Every):
            out += "[*]"
        else:
            out += f"[{step.key}={step.value}]"
    return out


def _reason(nodes: list[Any], path: tuple[Step, ...], depth: int) -> str:
    """What stops PATH at path[depth], under the nodes its first steps reached."""
    step = path[depth]
    where = path_text(path[:depth]) or "the top level"
    wanted, kind = (dict, "a mapping") if isinstance(step, Key) else (list, "a list")
    found = [node for node in nodes if isinstance(node, wanted)]
    if not found:
        return f"{where} is {_what(nodes[0])}, not {kind}"
    if isinstance(step, Key):
        names = [str(key) for mapping in found for key in mapping]
        return f"{where} has no key {step.name!r}" + _did_you_mean(path, depth, step.name, names, Key)
    if isinstance(step, Match):
        values = [
            text
            for items in found
            for item in items
            if isinstance(item, dict)
            and (key := find_key(item, step.key)) is not MISSING
            and (text := scalar_text(item[key])) is not None
        ]
        suggestion = _did_you_mean(path, depth, step.value, values, lambda value: Match(step.key, value))
        return f"{where} has no item whose {step.key} is {step.value!r}{suggestion}"
    longest = max(len(items) for items in found)
    return (
        f"{where} has {longest} item{'' if longest == 1 else 's'}" if longest else f"{where} is an empty list"
    )


def _what(node: Any) -> str:
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    # Never the value itself: a manifest may hold a credential.
    return "empty" if node is None else "a value"


def _did_you_mean(
    path: tuple[Step, ...], depth: int, wrong: str, candidates: list[str], step: Callable[[str], Step]
) -> str:
    """` (did you mean PATH?)` with the closest candidate in place of the wrong one; "" when none is close."""
    close = closest(wrong, candidates)
    if close is None:
        return ""
    return f" (did you mean {path_text((*path[:depth], step(close), *path[depth + 1 :]))}?)"


def closest(wrong: str, candidates: list[str]) -> str | None:
    """The candidate most like a misspelt name, if one is close enough."""
    import difflib  # only for an error: a run imports this package for PLACEHOLDERS alone

    close = difflib.get_close_matches(wrong, list(dict.fromkeys(candidates)), n=1)
    return close[0] if close else None
