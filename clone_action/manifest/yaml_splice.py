"""Edits in place of a YAML text: the rules' changes to its parsed documents become edits of
only the bytes of the scalars replaced, and a line (or `, key: value` in a flow mapping) for
each key a + rule added; the result is read back and must hold the same data, or CannotSplice."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .tree import MISSING
from .yaml_scalar import CannotSplice, block_text, key_text, value_text
from .yaml_style import new_yaml

# An anchor (&name) or a tag (!name, !!str, !<...>) before a scalar's text, and the space after it.
_PROPERTIES = re.compile(r"(?:[&!][^ \t\r\n]*[ \t\r\n]+)*")

# What a rule changed: (container, key) and the value before the first rule that changed it.
Touched = tuple[Any, Any, Any]


@dataclass
class _Place:
    """Where a value of the documents stands in the text."""

    node: Node
    key: Node | None  # its key, in a mapping
    flow: bool  # inside a flow collection ({...} or [...])


@dataclass
class _Index:
    """The nodes of a text's documents, found by the parsed containers that hold them."""

    values: dict[tuple[int, Any], _Place] = field(default_factory=dict)
    mappings: dict[int, MappingNode] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    uses: Counter[int] = field(default_factory=Counter)

    def walk(self, data: Any, node: Node) -> None:
        """Pair a parsed container with its node; a container an alias repeats is walked once."""
        if id(data) in self.seen:
            return
        self.seen.add(id(data))
        flow = bool(getattr(node, "flow_style", False))
        if isinstance(node, MappingNode) and isinstance(data, dict):
            self.mappings[id(data)] = node
            # A key's position names it; a merge (<<) has none and is left out.
            positions = getattr(getattr(data, "lc", None), "data", None) or {}
            keys = {(line, column): key for key, (line, column, *_) in positions.items()}
            pairs = [
                (keys.get((k.start_mark.line, k.start_mark.column), MISSING), k, v) for k, v in node.value
            ]
            for key, key_node, value_node in pairs:
                if key is not MISSING:
                    self._add(data, key, _Place(value_node, key_node, flow))
        elif isinstance(node, SequenceNode) and isinstance(data, list) and len(data) == len(node.value):
            for index, item in enumerate(node.value):
                self._add(data, index, _Place(item, None, flow))

    def _add(self, data: Any, key: Any, place: _Place) -> None:
        self.values[(id(data), key)] = place
        self.uses[id(place.node)] += 1
        if not isinstance(place.node, ScalarNode):
            self.walk(data[key], place.node)


def splice(body: str, documents: Sequence[Any], touched: Iterable[Touched], line_break: str) -> str:
    """body (the text of the documents as parsed) with the documents' changes made in place."""
    try:
        nodes = list(new_yaml().compose_all(body))
    except YAMLError as error:
        raise CannotSplice from error
    if len(nodes) != len(documents):
        raise CannotSplice
    index = _Index()
    for document, node in zip(documents, nodes, strict=True):
        index.walk(document, node)
    edits: list[tuple[int, int, str]] = []
    added: dict[int, list[tuple[str, Any]]] = {}
    for container, key, first in touched:
        current = container[key]
        place = index.values.get((id(container), key))
        if place is None:
            if first is not MISSING:  # a key a merge (<<) brings: not in this mapping's text
                raise CannotSplice
            added.setdefault(id(container), []).append((key, current))
        elif type(first) is not type(current) or first != current:
            edits.append(_replacement(body, place, current, index.uses[id(place.node)]))
    edits += [
        _insertion(body, index.mappings[mapping], members, line_break) for mapping, members in added.items()
    ]
    out = body
    for start, end, text in sorted(edits, reverse=True):  # from the end: offsets still hold
        out = out[:start] + text + out[end:]
    _check(out, documents)
    return out


def _replacement(body: str, place: _Place, value: Any, uses: int) -> tuple[int, int, str]:
    """(start, end, text): the scalar's text, after its anchor and tag, written as value."""
    node = place.node
    if not isinstance(node, ScalarNode) or uses > 1:  # an alias repeats it: the edit would change both
        raise CannotSplice
    start, end = node.start_mark.index, node.end_mark.index
    properties = _PROPERTIES.match(body, start, end)
    start = properties.end() if properties else start
    if start == end:  # empty: `key:` or `-` with nothing after it
        at = _after_indicator(body, place)
        return at, at, " " + value_text(value, None, flow=place.flow)
    if node.style in ("|", ">"):
        return start, end, block_text(body[start:end], str(value))
    return start, end, value_text(value, node.style, flow=place.flow)


def _after_indicator(body: str, place: _Place) -> int:
    """Where an empty value's text would start: after the `:` of its key, or the `-` of its item."""
    if place.key is None:
        at = int(place.node.start_mark.index)
        if body[at - 1 : at] != "-":
            raise CannotSplice
        return at
    at = int(place.key.end_mark.index)
    while body[at : at + 1] in (" ", "\t"):
        at += 1
    if body[at : at + 1] != ":":
        raise CannotSplice
    return at + 1


def _insertion(
    body: str, mapping: MappingNode, members: list[tuple[str, Any]], line_break: str
) -> tuple[int, int, str]:
    """(at, at, text): new keys after the last of mapping, in a line each as its keys stand."""
    flow = bool(mapping.flow_style)
    pairs = [f"{key_text(key, flow=flow)}: {value_text(value, None, flow=flow)}" for key, value in members]
    if flow:
        if not mapping.value:
            close = mapping.end_mark.index - 1
            if body[close : close + 1] != "}":
                raise CannotSplice
            return close, close, ", ".join(pairs)
        at = _end(body, mapping.value[-1])
        return at, at, "".join(f", {pair}" for pair in pairs)
    indent = " " * mapping.value[0][0].start_mark.column
    at = _end(body, mapping.value[-1])
    if body[at - 1 : at] == "\n":  # a block scalar ends after its line break
        return at, at, "".join(f"{indent}{pair}{line_break}" for pair in pairs)
    newline = body.find("\n", at)
    if newline < 0:  # the last line, without a line break
        return len(body), len(body), "".join(f"{line_break}{indent}{pair}" for pair in pairs)
    return newline + 1, newline + 1, "".join(f"{indent}{pair}{line_break}" for pair in pairs)


def _end(body: str, pair: tuple[Node, Node]) -> int:
    """Where the text of a mapping's last key and value ends (an empty value: after its colon)."""
    key: Node | None = pair[0]
    node = pair[1]
    while isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        key, node = node.value[-1] if isinstance(node, MappingNode) else (None, node.value[-1])
    if isinstance(node, ScalarNode) and node.start_mark.index == node.end_mark.index:
        return _after_indicator(body, _Place(node, key, flow=False))
    return int(node.end_mark.index)


def _check(text: str, documents: Sequence[Any]) -> None:
    """The edited text must read back as the documents the rules changed."""
    try:
        again = list(new_yaml().load_all(text))
    except YAMLError as error:
        raise CannotSplice from error
    if [_data(d, set()) for d in again] != [_data(d, set()) for d in documents]:
        raise CannotSplice


def _data(node: Any, path: set[int]) -> Any:
    """A parsed value as plain comparable data: mappings as ordered pairs, scalars with their kind."""
    if isinstance(node, dict | list):
        if id(node) in path:  # a collection that holds itself through an alias
            return ("cycle",)
        inner = path | {id(node)}
        if isinstance(node, dict):
            return ("map", [(_data(k, inner), _data(v, inner)) for k, v in node.items()])
        return ("seq", [_data(item, inner) for item in node])
    if isinstance(node, TaggedScalar):
        return ("tagged", str(node.tag), node.value)
    if isinstance(node, bool):
        return ("bool", node)
    if isinstance(node, str):
        return ("str", str(node))
    if isinstance(node, float):
        return ("float", repr(float(node)))  # NaN too compares equal this way
    if isinstance(node, int):
        return ("int", int(node))
    return (type(node).__name__, node)
