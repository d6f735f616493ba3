"""YAML manifests: the rules change the parsed documents, and only those bytes of the text change
(yaml_splice); a document the text cannot take in place is written again whole (yaml_style)."""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from .document import NotParsed, Outcome, apply_to_trees, explain_trees, put, typed
from .rules import Rule
from .tree import MISSING, Miss
from .yaml_scalar import CannotSplice
from .yaml_splice import Touched, splice
from .yaml_style import Indentation, dumper, indentation, new_yaml

_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_MARKER_LINE = re.compile(r"---[ \t]*(?:#[^\r\n]*)?(?:\r?\n|$)")
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?$", re.MULTILINE)
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_KEPT_STYLES = (SingleQuotedScalarString, DoubleQuotedScalarString, LiteralScalarString, FoldedScalarString)


@dataclass
class _Chunk:
    """The text from one `---` line to the next: written back as it was unless a rule changed it."""

    text: str
    marker: str
    body: str
    documents: list[Any]
    modified: bool = False
    # What the rules changed, by (container, key): the container, the key, the value before.
    touched: dict[tuple[int, Any], Touched] = field(default_factory=dict)

    def store(self, container: Any, key: Any, old: Any, value: str) -> bool:
        """Store as _store does, and remember where, for the edit in place."""
        if not _store(container, key, old, value):
            return False
        self.touched.setdefault((id(container), key), (container, key, old))
        return True


class YamlDocument:
    """A YAML stream (one or more documents); a rule changes only the bytes of the values it sets."""

    def __init__(self, text: str) -> None:
        self.crlf = "\r\n" in text
        self.chunks: list[_Chunk] = []
        line = 0
        for piece in _pieces(text):
            marker_match = _MARKER_LINE.match(piece)
            marker = marker_match.group(0) if marker_match else ""
            body = piece[len(marker) :]
            try:
                documents = list(new_yaml().load_all(body))
            except YAMLError as error:
                raise _not_parsed(error, line + marker.count("\n")) from error
            self.chunks.append(_Chunk(piece, marker, body, documents))
            line += piece.count("\n")
        whole = indentation([d for chunk in self.chunks for d in chunk.documents]) or Indentation()
        self.styles = [indentation(chunk.documents) or whole for chunk in self.chunks]

    @property
    def modified(self) -> bool:
        return any(chunk.modified for chunk in self.chunks)

    def apply(self, rule: Rule, value: str, relative: str) -> Outcome:
        total = Outcome()
        for chunk in self.chunks:
            outcome = apply_to_trees(chunk.documents, rule, value, relative, chunk.store)
            chunk.modified = chunk.modified or outcome.modified
            total.hits += outcome.hits
            total.modified = total.modified or outcome.modified
            total.problems += outcome.problems
        return total

    def explain(self, rule: Rule) -> Miss | None:
        return explain_trees([d for chunk in self.chunks for d in chunk.documents], rule)

    def render(self) -> str:
        return "".join(
            self._render(chunk, style) if chunk.modified else chunk.text
            for chunk, style in zip(self.chunks, self.styles, strict=True)
        )

    def _render(self, chunk: _Chunk, style: Indentation) -> str:
        try:
            return chunk.marker + splice(chunk.body, chunk.documents, chunk.touched.values(), self.line_break)
        except CannotSplice:
            return self._dump(chunk, style)

    @property
    def line_break(self) -> str:
        return "\r\n" if self.crlf else "\n"

    def _dump(self, chunk: _Chunk, style: Indentation) -> str:
        """The chunk's documents written again whole (ruamel keeps comments, key order and quotes)."""
        yaml = dumper(style)
        yaml.explicit_start = chunk.body.startswith("---")
        yaml.explicit_end = bool(_DOCUMENT_END.search(chunk.body))
        out = io.StringIO()
        yaml.dump_all(chunk.documents, out)
        # A comment ruamel kept holds the CR of its CRLF line: one line break, whatever the text had.
        text = out.getvalue().replace("\r\n", "\n")
        if not chunk.text.endswith("\n"):
            text = text.removesuffix("\n")
        return chunk.marker + (text.replace("\n", "\r\n") if self.crlf else text)


def _pieces(text: str) -> list[str]:
    """The text cut before each `---`; a piece of directives (%YAML) joins the document it starts."""
    starts = [m.start() for m in _DOCUMENT_START.finditer(text) if m.start() > 0]
    bounds = [0, *starts, len(text)]
    merged: list[str] = []
    for piece in (text[a:b] for a, b in itertools.pairwise(bounds)):
        if merged and _DIRECTIVE.search(merged[-1]) and not _has_content(merged[-1]):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _has_content(text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith(("#", "%")) for line in text.splitlines())


def _store(container: Any, key: Any, old: Any, value: str) -> bool:
    """Store like any tree, keeping the old string's quoting, a custom tag (!Ref name) and the gap
    before a line's comment."""
    new: Any = typed(old, value)
    style = next((style for style in _KEPT_STYLES if isinstance(old, style)), None)
    if isinstance(old, TaggedScalar):
        if old.value == value:
            return False
        new = TaggedScalar(value=value, style=old.style, tag=old.tag)
    elif style:
        new = style(new)
    if not put(container, key, old, new):
        return False
    if old is not MISSING:
        tagged = isinstance(old, TaggedScalar)
        growth = len(value if tagged else str(new)) - len(str(old.value if tagged else old))
        _keep_comment_gap(container, key, growth)
    return True


def _keep_comment_gap(container: Any, key: Any, growth: int) -> None:
    """Move the comment at the end of a changed value's line, so `value   # note` keeps its gap."""
    items = getattr(getattr(container, "ca", None), "items", {})
    entry = items.get(key)
    if entry:
        token = entry[2] if isinstance(container, dict) else entry[0]
        if token is not None and hasattr(token, "start_mark"):
            token.column = max(0, token.column + growth)


def _not_parsed(error: YAMLError, line_offset: int) -> NotParsed:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    why = getattr(error, "problem", None) or getattr(error, "context", None) or str(error)
    where = f" at line {mark.line + 1 + line_offset}, column {mark.column + 1}" if mark else ""
    return NotParsed(f"is not valid YAML{where}: {(str(why).splitlines() or ['?'])[0]}")
