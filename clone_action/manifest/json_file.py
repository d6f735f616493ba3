"""JSON manifests: only the bytes of the values replaced change; a new key rewrites the file with
the indentation it had."""

from __future__ import annotations

import json
import re
from typing import Any

from .document import NotParsed, Outcome, apply_to_trees, explain_trees
from .rules import Rule
from .tree import Miss

_WHITESPACE = re.compile(r"[ \t\n\r]*")
JsonPath = tuple[str | int, ...]


def json_spans(text: str) -> dict[JsonPath, tuple[int, int]]:
    """Where each scalar value of a JSON text is: its path of keys and indexes -> (start, end).

    A later duplicate key wins, as in json.loads. The text must be valid JSON (parsed before).
    """
    decoder = json.JSONDecoder()
    spans: dict[JsonPath, tuple[int, int]] = {}

    def skip(at: int) -> int:
        match = _WHITESPACE.match(text, at)
        return match.end() if match else at

    def value(at: int, path: JsonPath) -> int:
        at = skip(at)
        if text[at] == "{":
            at = skip(at + 1)
            while text[at] != "}":
                key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                at = value(skip(at) + 1, (*path, key))  # past the colon
                at = skip(at)
                at = skip(at + 1) if text[at] == "," else at
            return at + 1
        if text[at] == "[":
            at, index = skip(at + 1), 0
            while text[at] != "]":
                at = skip(value(at, (*path, index)))
                at, index = (skip(at + 1) if text[at] == "," else at), index + 1
            return at + 1
        _, end = decoder.raw_decode(text, at)
        spans[path] = (at, end)
        return end

    value(0, ())
    return spans


def _changes(old: Any, new: Any, path: JsonPath, changes: list[tuple[JsonPath, Any]]) -> bool:
    """The scalars that differ between two trees of the same shape; False when the shape changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            return False
        return all(_changes(old[k], new[k], (*path, k), changes) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return False
        return all(_changes(o, n, (*path, i), changes) for i, (o, n) in enumerate(zip(old, new, strict=True)))
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return False
    if type(old) is not type(new) or old != new:
        changes.append((path, new))
    return True


class JsonDocument:
    """A JSON document, its layout kept."""

    def __init__(self, text: str) -> None:
        try:
            self.original = json.loads(text)
        except json.JSONDecodeError as error:
            raise NotParsed(
                f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from error
        self.text = text
        self.data = json.loads(text)
        core = text.strip()
        self.lead = text[: len(text) - len(text.lstrip())]
        self.trail = text[len(text.rstrip()) :]
        self.crlf = "\r\n" in text
        self.ensure_ascii = text.isascii()
        indented = re.search(r"\n([ \t]+)\S", core)
        self.indent: str | None = indented.group(1) if indented else None
        self.separators = (",", ": ")
        if self.indent is None and json.dumps(self.data, ensure_ascii=self.ensure_ascii) == core:
            self.separators = (", ", ": ")
        elif self.indent is None:
            self.separators = (",", ":")
        self.modified = False

    def apply(self, rule: Rule, value: str, relative: str) -> Outcome:
        outcome = apply_to_trees([self.data], rule, value, relative)
        self.modified = self.modified or outcome.modified
        return outcome

    def explain(self, rule: Rule) -> Miss | None:
        return explain_trees([self.data], rule)

    def render(self) -> str:
        changes: list[tuple[JsonPath, Any]] = []
        if _changes(self.original, self.data, (), changes):
            spans = json_spans(self.text)
            out = self.text
            for start, end, replacement in sorted(
                ((*spans[path], json.dumps(new, ensure_ascii=self.ensure_ascii)) for path, new in changes),
                reverse=True,
            ):
                out = out[:start] + replacement + out[end:]
            return out
        out = json.dumps(
            self.data, indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii
        )
        if self.crlf:
            out = out.replace("\n", "\r\n")
        return self.lead + out + self.trail
