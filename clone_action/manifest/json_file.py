"""JSON manifests: only the bytes of the values replaced change, and a key a + rule adds is
inserted after the last key of its object, as that object lays out its keys."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .document import NotParsed, Outcome, apply_to_trees, explain_trees
from .rules import Rule
from .tree import Miss

_WHITESPACE = re.compile(r"[ \t\n\r]*")
JsonPath = tuple[str | int, ...]


@dataclass
class _Object:
    """Where an object's text can take one more key."""

    close: int  # the index of its '}'
    last_end: int | None = None  # the end of its last value; None when it is empty
    gap: str = ""  # between '{' and the first key: a newline and the indentation, a space or nothing
    colon: str = ": "  # between its first key and value
    between: str | None = None  # between its first comma and the next key

    def separator(self) -> str:
        """What follows the comma before a new key: as between its keys, else as before its first."""
        if self.between is not None:
            return self.between
        return self.gap or (" " if self.colon.endswith(" ") else "")


@dataclass
class _Layout:
    """Where each scalar value and each object of a JSON text is, by its path of keys and indexes."""

    scalars: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    objects: dict[JsonPath, _Object] = field(default_factory=dict)


def _layout(text: str) -> _Layout:
    """Scan a valid JSON text (parsed before); a later duplicate key wins, as in json.loads."""
    decoder = json.JSONDecoder()
    layout = _Layout()

    def skip(at: int) -> int:
        match = _WHITESPACE.match(text, at)
        return match.end() if match else at

    def value(at: int, path: JsonPath) -> int:
        at = skip(at)
        if text[at] == "{":
            start, at = at, skip(at + 1)
            found = _Object(close=at, gap=text[start + 1 : at])
            while text[at] != "}":
                key, after = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                begin = skip(skip(after) + 1)  # past the colon
                if found.last_end is None:
                    found.colon = text[after:begin]
                at = found.last_end = value(begin, (*path, key))
                at = skip(at)
                if text[at] == ",":
                    comma, at = at, skip(at + 1)
                    if found.between is None:
                        found.between = text[comma + 1 : at]
            found.close = at
            layout.objects[path] = found
            return at + 1
        if text[at] == "[":
            at, index = skip(at + 1), 0
            while text[at] != "]":
                at = skip(value(at, (*path, index)))
                at, index = (skip(at + 1) if text[at] == "," else at), index + 1
            return at + 1
        _, end = decoder.raw_decode(text, at)
        layout.scalars[path] = (at, end)
        return end

    value(0, ())
    return layout


def json_spans(text: str) -> dict[JsonPath, tuple[int, int]]:
    """Where each scalar value of a JSON text is: its path of keys and indexes -> (start, end)."""
    return _layout(text).scalars


@dataclass
class _Changes:
    """How the data differs from the text: scalars replaced, and keys added (a dict keeps them last)."""

    replaced: list[tuple[JsonPath, Any]] = field(default_factory=list)
    added: dict[JsonPath, list[tuple[str, Any]]] = field(default_factory=dict)


def _diff(old: Any, new: Any, path: JsonPath, changes: _Changes) -> None:
    """Record how new differs from old: the rules only replace scalars and add scalar keys."""
    if isinstance(old, dict):
        if len(new) > len(old):
            changes.added[path] = list(new.items())[len(old) :]
        for key in old:
            _diff(old[key], new[key], (*path, key), changes)
    elif isinstance(old, list):
        for index, item in enumerate(old):
            _diff(item, new[index], (*path, index), changes)
    elif type(old) is not type(new) or old != new:
        changes.replaced.append((path, new))


class JsonDocument:
    """A JSON document: the rules change its parsed data, render edits only those bytes of the text."""

    def __init__(self, text: str) -> None:
        try:
            self.original = json.loads(text)
        except json.JSONDecodeError as error:
            raise NotParsed(
                f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from error
        self.text = text
        self.data = json.loads(text)
        self.ensure_ascii = text.isascii()
        self.modified = False

    def apply(self, rule: Rule, value: str, relative: str) -> Outcome:
        outcome = apply_to_trees([self.data], rule, value, relative)
        self.modified = self.modified or outcome.modified
        return outcome

    def explain(self, rule: Rule) -> Miss | None:
        return explain_trees([self.data], rule)

    def render(self) -> str:
        changes = _Changes()
        _diff(self.original, self.data, (), changes)
        layout = _layout(self.text)
        edits = [(*layout.scalars[path], self._dumps(new)) for path, new in changes.replaced]
        for path, members in changes.added.items():
            place = layout.objects[path]
            texts = [f"{self._dumps(key)}{place.colon}{self._dumps(new)}" for key, new in members]
            comma = f",{place.separator()}"
            if place.last_end is None:
                edits.append((place.close, place.close, comma.join(texts)))
            else:
                edits.append((place.last_end, place.last_end, comma + comma.join(texts)))
        out = self.text
        for start, end, replacement in sorted(edits, reverse=True):  # from the end: offsets still hold
            out = out[:start] + replacement + out[end:]
        return out

    def _dumps(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=self.ensure_ascii)
