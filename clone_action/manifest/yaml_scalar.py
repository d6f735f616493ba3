"""How a value is written into YAML text: in the style of the scalar it replaces, plain only when
every YAML reader (1.1 as Kubernetes reads it, and 1.2) reads it back as the same string."""

from __future__ import annotations

import functools
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

# One line of characters YAML prints as they are (no line break of YAML 1.1 or 1.2, no BOM).
_ONE_LINE = re.compile(
    r"[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
# Read as a number, a time or a date by some YAML reader (0o17, 1_000, 1:20, .5, 10.0.0.1): quoted.
_NUMBER_LIKE = re.compile(r"[-+]?\.?[0-9][0-9A-Za-z_.:+-]*|[-+]?\.[A-Za-z]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
_BLOCK_HEADER = re.compile(r"([|>])([+-]?)([^\r\n]*)")


class CannotSplice(Exception):
    """The text cannot take the change in place: the document is written again whole instead."""


@functools.cache
def _reader() -> YAML:
    return YAML(typ="safe", pure=True)


def _reads_back(text: str, value: str, *, flow: bool, key: bool = False) -> bool:
    """Whether text, written plain where a value (or a key) goes, reads back as value in YAML 1.1 and 1.2."""
    document = (
        f"{{{text}: x}}" if flow and key else f"{text}: x" if key else f"[{text}]" if flow else f"k: {text}"
    )
    for version in ("", "%YAML 1.1\n---\n"):
        try:
            loaded = _reader().load(version + document)
        except YAMLError:
            return False
        if key:
            found = list(loaded) if isinstance(loaded, dict) else []
        else:
            found = (
                loaded if isinstance(loaded, list) else [loaded.get("k")] if isinstance(loaded, dict) else []
            )
        if found != [value] or type(found[0]) is not str:
            return False
    return True


def plain_safe(value: str, *, flow: bool, key: bool = False) -> bool:
    """Whether value can be written without quotes and still be read as that same string."""
    return (
        bool(value)
        and _ONE_LINE.fullmatch(value) is not None
        and _NUMBER_LIKE.fullmatch(value) is None
        and _reads_back(value, value, flow=flow, key=key)
    )


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def double_quoted(value: str) -> str:
    """value in double quotes, with every character a reader could misread escaped."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char != "\t" and _ONE_LINE.fullmatch(char):
            out.append(char)
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"
            )
    return '"' + "".join(out) + '"'


def quoted(value: str, style: str = "'") -> str:
    """value in single quotes when asked and they can hold it, else in double quotes."""
    return single_quoted(value) if style == "'" and _ONE_LINE.fullmatch(value) else double_quoted(value)


def key_text(key: str, *, flow: bool) -> str:
    """A new mapping key as written: plain when safe, else quoted."""
    return key if plain_safe(key, flow=flow, key=True) else quoted(key)


def value_text(value: Any, style: str | None, *, flow: bool) -> str:
    """A new scalar in the style of the one it replaces (None for plain): an int stays plain digits;
    a plain string is quoted only when it would not read back as itself."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if style in ("'", '"'):
        return quoted(text, style)
    return text if plain_safe(text, flow=flow) else quoted(text)


def block_text(old: str, value: str) -> str:
    """A literal (|) or folded (>) scalar's text old, holding value instead: the header keeps its
    style and comment, the content its indentation; what follows the last line is kept."""
    header = _BLOCK_HEADER.match(old)
    lines = old.splitlines(keepends=True)
    content = [i for i, line in enumerate(lines[1:], 1) if line.strip()]
    fits = value and value[0] not in " \t" and _ONE_LINE.fullmatch(value)
    if header is None or not content or not fits or header.group(3)[:1].isdigit():
        raise CannotSplice
    first, last = lines[content[0]], lines[content[-1]]
    indent = first[: len(first) - len(first.lstrip(" "))]
    ending = last[len(last.rstrip("\r\n")) :]
    head = f"{header.group(1)}-{header.group(3)}{lines[0][header.end() :]}"
    return head + indent + value + ending + "".join(lines[content[-1] + 1 :])
