"""A hypothesis strategy: YAML texts in the layouts people write, and where each scalar value is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# A path of keys and indexes from a document's root.
Steps = tuple[str | int, ...]


@dataclass(frozen=True)
class Scalar:
    """One scalar value of a written text: its PATH, where its text is, how it was written."""

    path: str
    document: int
    steps: Steps
    start: int
    end: int  # start == end: an empty value (`key:`), whose text would start at start
    how: str  # "plain" (words, ints, ~, null, true), "'" or '"', or "empty"
    value: Any
    flow: bool  # inside [...] or {...}


@dataclass
class Written:
    """A YAML text being written, its documents as data, and its scalars."""

    line_break: str
    step: int  # the indentation of a nested mapping
    dash: int  # how far a list's dash stands in from its key (0: kubectl, step: Helm)
    parts: list[str] = field(default_factory=list)
    size: int = 0
    documents: list[Any] = field(default_factory=list)
    scalars: list[Scalar] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def write(self, *texts: str) -> None:
        for text in texts:
            self.parts.append(text)
            self.size += len(text)

    def scalar(self, path: str, steps: Steps, text: str, how: str, value: Any, *, flow: bool) -> None:
        self.scalars.append(
            Scalar(path, len(self.documents), steps, self.size, self.size + len(text), how, value, flow)
        )
        self.write(text)


WORDS = st.from_regex(r"w|w[a-z0-9 ._/#-]{0,6}[a-z0-9]", fullmatch=True).filter(lambda word: " #" not in word)
SINGLE = st.text(alphabet="ab '#:,{}[]é", max_size=6)
DOUBLE = st.text(alphabet='ab "\\#:\té', max_size=6)
END_OF_LINE = st.sampled_from(["", "   ", "  # note", " #c  "])


def _double(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


@st.composite
def _scalar(draw: st.DrawFn, *, flow: bool, may_be_empty: bool) -> tuple[str, str, Any]:
    """(text, how, value) of a scalar."""
    kinds = ["plain", "int", "'", '"', "~", "null", "bool"] + (["empty"] if may_be_empty else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "plain":
        word = draw(WORDS)
        return word, "plain", word
    if kind == "int":
        number = draw(st.integers(0, 99999))
        return str(number), "plain", number
    if kind == "'":
        value = draw(SINGLE)
        return "'" + value.replace("'", "''") + "'", "'", value
    if kind == '"':
        value = draw(DOUBLE)
        return _double(value), '"', value
    if kind == "bool":
        value = draw(st.booleans())
        return str(value).lower(), "plain", value
    return ("" if kind == "empty" else kind), ("empty" if kind == "empty" else "plain"), None


def _flow(draw: st.DrawFn, out: Written, path: str, steps: Steps, depth: int) -> Any:
    """A flow collection ([a, b] or {k0: a}), written where out stands."""
    comma, pad = draw(st.sampled_from([", ", ","])), draw(st.sampled_from(["", " "]))
    size = draw(st.integers(0, 3))
    is_map = draw(st.booleans())
    data: Any = {} if is_map else []
    out.write("{" if is_map else "[", pad if size else "")
    for i in range(size):
        out.write(comma if i else "")
        key: str | int = f"k{i}" if is_map else i
        sub, sub_steps = (f"{path}.{key}" if is_map else f"{path}[{i}]"), (*steps, key)
        if is_map:
            out.write(f"{key}: ")
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            value = _flow(draw, out, sub, sub_steps, depth + 1)
        else:
            text, how, value = draw(_scalar(flow=True, may_be_empty=False))
            out.scalar(sub, sub_steps, text, how, value, flow=True)
        if is_map:
            data[key] = value
        else:
            data.append(value)
    out.write(pad if size else "", "}" if is_map else "]")
    return data


def _value(draw: st.DrawFn, out: Written, path: str, steps: Steps, indent: int, gap: str, depth: int) -> Any:
    """What follows `key:` or `-` (at indent): a scalar, a flow collection, or a block collection."""
    kind = draw(st.sampled_from(["scalar", "scalar", "flow", "map", "list"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        text, how, value = draw(_scalar(flow=False, may_be_empty=True))
        if how != "empty":
            out.write(gap)
        out.scalar(path, steps, text, how, value, flow=False)
        out.write(draw(END_OF_LINE), out.line_break)
        return value
    if kind == "flow":
        out.write(gap)
        value = _flow(draw, out, path, steps, depth)
        out.write(draw(END_OF_LINE), out.line_break)
        return value
    out.write(draw(END_OF_LINE), out.line_break)
    if kind == "map":
        return _mapping(draw, out, path, steps, indent + out.step, None, depth + 1)
    return _list(draw, out, path, steps, indent + out.dash, depth + 1)


def _mapping(
    draw: st.DrawFn, out: Written, path: str, steps: Steps, indent: int, first: str | None, depth: int
) -> dict[str, Any]:
    """A block mapping whose keys stand at indent; `first` replaces the first key's indentation (`- `)."""
    prefix = f"d{len(out.documents)}" if not steps else ""
    keys = [f"{prefix}k{i}" for i in range(draw(st.integers(1, 4)))]
    aligned = draw(st.booleans())
    data: dict[str, Any] = {}
    for i, key in enumerate(keys):
        if (i or first is None) and draw(st.integers(0, 4)) == 0:
            out.write(draw(st.sampled_from(["", "   ", " " * indent + "# a comment"])), out.line_break)
        out.write(first if i == 0 and first is not None else " " * indent, key, ":")
        gap = " " * (1 + (max(map(len, keys)) - len(key) if aligned else 0))
        sub = f"{path}.{key}" if path else key
        data[key] = _value(draw, out, sub, (*steps, key), indent, gap, depth)
    return data


def _list(draw: st.DrawFn, out: Written, path: str, steps: Steps, indent: int, depth: int) -> list[Any]:
    """A block list whose dashes stand at indent; an item may be a mapping that starts on its dash."""
    data: list[Any] = []
    for i in range(draw(st.integers(1, 3))):
        sub, sub_steps = f"{path}[{i}]", (*steps, i)
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            data.append(_mapping(draw, out, sub, sub_steps, indent + 2, " " * indent + "- ", depth + 1))
            continue
        out.write(" " * indent, "-")
        text, how, value = draw(_scalar(flow=False, may_be_empty=True))
        if how != "empty":
            out.write(draw(st.sampled_from([" ", "   "])))
        out.scalar(sub, sub_steps, text, how, value, flow=False)
        out.write(draw(END_OF_LINE), out.line_break)
        data.append(value)
    return data


@st.composite
def yaml_texts(draw: st.DrawFn) -> Written:
    """One to three documents: block mappings (a top-level list when alone), flow and block
    collections, aligned values, comments, ~ and empty values, trailing spaces, LF or CRLF."""
    out = Written(
        line_break=draw(st.sampled_from(["\n", "\r\n"])),
        step=draw(st.sampled_from([2, 4])),
        dash=0,
    )
    out.dash = draw(st.sampled_from([0, out.step]))
    count = draw(st.integers(1, 3))
    for number in range(count):
        if number or draw(st.booleans()):
            out.write(draw(st.sampled_from(["---", "--- # next", "---   "])), out.line_break)
        if count == 1 and draw(st.integers(0, 3)) == 0:
            out.documents.append(_list(draw, out, "", (), 0, 0))
        else:
            out.documents.append(_mapping(draw, out, "", (), 0, None, 0))
        if draw(st.integers(0, 4)) == 0:
            out.write("...", out.line_break)
    if draw(st.booleans()):
        out.parts[-1] = out.parts[-1].removesuffix(out.line_break)
        out.size = len(out.text)
    return out
