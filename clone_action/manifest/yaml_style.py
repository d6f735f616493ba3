"""How a YAML text indents, found from the positions ruamel recorded, so a rewrite keeps it."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter

# Wide enough that ruamel never folds a long line of a file it writes back.
_WIDTH = 1_000_000


def new_yaml() -> YAML:
    """A round-trip loader and dumper that keeps quotes and never folds lines."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    return yaml


class RootSequenceEmitter(RoundTripEmitter):
    """Gives a top-level sequence its own indentation (kustomize patches: `- op:` at column 0)."""

    root_sequence: tuple[int, int] = (2, 0)

    def _at_root_sequence(self) -> bool:
        values = self.indents.values
        return len(values) == 1 and bool(values[0][1])

    @contextlib.contextmanager
    def _root_indentation(self) -> Iterator[None]:
        saved = self.best_sequence_indent, self.sequence_dash_offset
        self.best_sequence_indent, self.sequence_dash_offset = self.root_sequence
        try:
            yield
        finally:
            self.best_sequence_indent, self.sequence_dash_offset = saved

    def expect_block_sequence_item(self, first: bool = False) -> None:
        if not self._at_root_sequence():
            return super().expect_block_sequence_item(first)
        with self._root_indentation():
            return super().expect_block_sequence_item(first)

    def increase_indent(
        self, flow: bool = False, sequence: bool | None = None, indentless: bool = False
    ) -> None:
        if not self._at_root_sequence():
            return super().increase_indent(flow, sequence, indentless)
        with self._root_indentation():
            return super().increase_indent(flow, sequence, indentless)


@dataclass
class Indentation:
    """How a YAML text indents: ruamel's mapping, sequence and offset, and a top-level list's own."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0
    root_sequence: tuple[int, int] | None = None


def _block(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()


def _sequence_style(seq: CommentedSeq, column: int) -> tuple[int, int] | None:
    """(sequence indent, dash offset) of a block list whose parent starts at column."""
    line, item_column = seq.lc.item(0)
    if line != seq.lc.line or isinstance(seq[0], CommentedSeq):
        return None
    style = (item_column - column, seq.lc.col - column)
    return style if style[1] >= 0 and style[0] >= style[1] + 2 else None


def indentation(documents: Sequence[Any]) -> Indentation | None:
    """The indentation most used in the documents; None if they give no clue."""
    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()
    roots: Counter[tuple[int, int]] = Counter()

    def walk(node: Any) -> None:
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                if _block(value):
                    key_line, key_column = node.lc.key(key)
                    if value.lc.line > key_line and isinstance(value, CommentedMap):
                        if value.lc.col > key_column:
                            mappings[value.lc.col - key_column] += 1
                    elif value.lc.line > key_line and (style := _sequence_style(value, key_column)):
                        sequences[style] += 1
                walk(value)
        elif isinstance(node, CommentedSeq):
            for item in node:
                walk(item)

    for document in documents:
        is_list = _block(document) and isinstance(document, CommentedSeq)
        if is_list and (style := _sequence_style(document, 0)):
            roots[style] += 1
        walk(document)
    if not (mappings or sequences or roots):
        return None
    found = Indentation()
    if mappings:
        found.mapping = mappings.most_common(1)[0][0]
    if sequences:
        found.sequence, found.offset = sequences.most_common(1)[0][0]
    elif roots:
        found.sequence, found.offset = roots.most_common(1)[0][0]
    else:
        found.sequence = found.mapping
    if roots:
        found.root_sequence = roots.most_common(1)[0][0]
    return found


def dumper(style: Indentation) -> YAML:
    """A YAML dumper that writes with the given indentation."""
    yaml = new_yaml()
    yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    if style.root_sequence and style.root_sequence != (style.sequence, style.offset):
        yaml.Emitter = type("Emitter", (RootSequenceEmitter,), {"root_sequence": style.root_sequence})
    return yaml
