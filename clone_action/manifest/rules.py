"""manifest-set rules: PATH=VALUE lines parsed into steps, and the placeholders VALUE may use."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from .tree import Every, Index, Key, Match, Step

# The one list of the placeholders: config.py and the README name the same.
PLACEHOLDERS = ("endpoint", "reader_endpoint", "port", "cluster_id", "engine", "database_url")

_ALLOWED = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
_SELECTORS = "use [2], [*] or [name=value]"
_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Rule:
    """One manifest-set line: PATH=VALUE, or +PATH=VALUE to create PATH's last key where it is missing."""

    text: str
    path: tuple[Step, ...]
    value: str
    create: bool = False

    @property
    def dotenv_key(self) -> str | None:
        """The KEY this rule sets in a dotenv file, or None when its PATH cannot be one."""
        names = [step.name for step in self.path if isinstance(step, Key)]
        key = ".".join(names)
        if len(names) == len(self.path) and _DOTENV_KEY.fullmatch(key):
            return key
        return None


def placeholder_values() -> dict[str, str]:
    """Stand-in values for a plan made before the clone exists (same types as the real ones)."""
    return {
        "endpoint": "placeholder-endpoint.example",
        "reader_endpoint": "placeholder-reader-endpoint.example",
        "port": "5432",
        "cluster_id": "placeholder-cluster-id",
        "engine": "aurora-postgresql",
        "database_url": "postgresql://placeholder@placeholder-endpoint.example:5432/",
    }


def render(template: str, values: Mapping[str, str]) -> str:
    """VALUE with its placeholders replaced (the template was checked by parse_rules)."""
    parts = string.Formatter().parse(template)
    return "".join(literal + (values[name] if name is not None else "") for literal, name, _, _ in parts)


class _Bad(Exception):
    """Why one rule line is wrong."""


def parse_rules(lines: Sequence[str]) -> list[Rule]:
    """Parse manifest-set lines; raise InputError naming every bad line."""
    rules: list[Rule] = []
    problems: list[str] = []
    for line in lines:
        try:
            rules.append(_parse_rule(line))
        except _Bad as bad:
            problems.append(f"manifest-set: {bad}, got {line!r}")
    if problems:
        raise InputError(problems)
    return rules


def _parse_rule(line: str) -> Rule:
    path_text, value = _split_rule(line)
    path_text, value = path_text.strip(), value.strip()
    create = path_text.startswith("+")
    path_text = path_text.removeprefix("+").lstrip()
    if not path_text:
        raise _Bad("PATH is empty; write PATH=VALUE, like data.DB_HOST={endpoint}")
    path = _parse_path(path_text)
    if create and not isinstance(path[-1], Key):
        raise _Bad("+ creates a missing key, so its PATH ends with a key, not a list selector")
    _check_template(value)
    return Rule(text=line, path=path, value=value, create=create)


def _split_rule(line: str) -> tuple[str, str]:
    """Split on the first '=' outside [...] and "..." (so `[name=app]` stays in PATH)."""
    depth, quoted = 0, False
    for i, char in enumerate(line):
        if quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "=" and depth == 0:
            return line[:i], line[i + 1 :]
    if "=" in line:
        # An unclosed '[' or '"' took the '='; the PATH check names the real problem.
        head, _, tail = line.partition("=")
        return head, tail
    raise _Bad("expected PATH=VALUE, like data.DB_HOST={endpoint}")


def _parse_path(text: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    i, end = 0, len(text)
    while True:
        if i < end and text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise _Bad("PATH has an unclosed '\"'")
            if close == i + 1:
                raise _Bad('PATH has an empty key ""')
            steps.append(Key(text[i + 1 : close]))
            i = close + 1
        else:
            j = i
            while j < end and text[j] not in '.[]"':
                j += 1
            if j > i:
                steps.append(Key(text[i:j]))
            elif not (i == 0 and j < end and text[j] == "["):
                raise _Bad("PATH has an empty key; separate keys with single dots")
            i = j
        while i < end and text[i] == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise _Bad(f"PATH has an unclosed '['; {_SELECTORS}")
            steps.append(_selector(text[i + 1 : close]))
            i = close + 1
        if i == end:
            return tuple(steps)
        if text[i] != ".":
            raise _Bad(f'PATH has an unexpected {text[i]!r} at character {i + 1}; quote such a key: "a.b"')
        i += 1
        if i == end:
            raise _Bad("PATH has an empty key; separate keys with single dots")


def _selector(body: str) -> Step:
    if not body:
        raise _Bad(f"PATH has an empty selector []; {_SELECTORS}")
    if body == "*":
        return Every()
    if _DIGITS.fullmatch(body):
        return Index(int(body))
    key, sep, value = body.partition("=")
    if sep and key:
        return Match(key, value)
    raise _Bad(f"PATH has a bad selector [{body}]; {_SELECTORS}")


def _check_template(value: str) -> None:
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError:
        raise _Bad(
            "unbalanced braces in VALUE; placeholders look like {endpoint}, a literal brace is {{ or }}"
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if name not in PLACEHOLDERS:
            raise _Bad(f"unknown placeholder {written}; use {_ALLOWED}")
        if spec or conversion:
            raise _Bad(f"placeholder {written} takes no format or conversion; write {{{name}}}")
