"""dotenv manifests: KEY=VALUE lines, where only the value is ever replaced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .document import NotParsed, Outcome
from .rules import Rule
from .tree import Miss, closest

_LINE = re.compile(
    r"(?P<head>[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*)(?P<rest>.*)", re.DOTALL
)
_BARE = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*[ \t]*")
_NEEDS_QUOTES = re.compile(r"^#|[\s'\"\\]")
_INVALID = "is not a valid dotenv file"


@dataclass
class _Entry:
    """`head` `quote` value `quote` `tail`."""

    head: str
    key: str
    quote: str
    value: str
    tail: str

    def text(self) -> str:
        return f"{self.head}{self.quote}{self.value}{self.quote}{self.tail}"


class DotenvDocument:
    """KEY=VALUE lines; every other line is kept byte for byte."""

    def __init__(self, text: str) -> None:
        self.parts: list[str | _Entry] = []
        self.modified = False
        lines = text.splitlines(keepends=True)
        number = 0
        while number < len(lines):
            line = lines[number]
            number += 1
            stripped = line.strip()
            match = _LINE.fullmatch(line)
            if not stripped or stripped.startswith("#") or (not match and _BARE.fullmatch(line.rstrip())):
                self.parts.append(line)
                continue
            if not match:
                raise NotParsed(f"{_INVALID} at line {number}: expected KEY=VALUE, a comment or a blank line")
            rest = match.group("rest")
            quote = rest[:1] if rest[:1] in ('"', "'") else ""
            if quote:
                start = number
                close = _closing_quote(rest, quote)
                while close < 0 and number < len(lines):
                    rest += lines[number]
                    number += 1
                    close = _closing_quote(rest, quote)
                if close < 0:
                    raise NotParsed(
                        f"is not a valid dotenv file at line {start}: the quote {quote} is never closed"
                    )
                value, tail = rest[1:close], rest[close + 1 :]
            else:
                body = rest.rstrip("\r\n")
                comment = re.search(r"[ \t]+#", body)
                value = body[: comment.start()] if comment else body
                value = value.rstrip(" \t")
                tail = rest[len(value) :]
            self.parts.append(_Entry(match.group("head"), match.group("key"), quote, value, tail))

    def apply(self, rule: Rule, value: str, relative: str) -> Outcome | None:
        key = rule.dotenv_key
        if key is None:
            return None
        outcome = Outcome()
        entries = [part for part in self.parts if isinstance(part, _Entry) and part.key == key]
        if not entries and rule.create and len(rule.path) == 1:
            entries = [self._append(key)]
            outcome.modified = self.modified = True
        for entry in entries:
            outcome.hits += 1
            quote = entry.quote or ('"' if _NEEDS_QUOTES.search(value) else "")
            if quote == "'" and "'" in value:
                outcome.problems.append(
                    f"manifest-set: the value has a ' but {key} is single-quoted in {relative!r}, "
                    f"got {rule.text!r}"
                )
                continue
            written = value.replace("\\", "\\\\").replace('"', '\\"') if quote == '"' else value
            if (entry.quote, entry.value) != (quote, written):
                entry.quote, entry.value = quote, written
                outcome.modified = self.modified = True
        return outcome

    def _append(self, key: str) -> _Entry:
        """A new last line `KEY=` (its value set by apply), ending as the file's lines end."""
        text = self.render()
        newline = "\r\n" if "\r\n" in text else "\n"
        ended = not text or text.endswith("\n")
        entry = _Entry(("" if ended else newline) + f"{key}=", key, "", "", newline if ended else "")
        self.parts.append(entry)
        return entry

    def explain(self, rule: Rule) -> Miss | None:
        key = rule.dotenv_key or ""
        keys = [part.key for part in self.parts if isinstance(part, _Entry)]
        close = closest(key, keys)
        hint = f" (did you mean {close}?)" if close else ""
        return Miss(0, f"no line sets {key}{hint}", creatable=len(rule.path) == 1, suggests=bool(close))

    def render(self) -> str:
        return "".join(part if isinstance(part, str) else part.text() for part in self.parts)


def _closing_quote(rest: str, quote: str) -> int:
    i = 1
    while i < len(rest):
        if quote == '"' and rest[i] == "\\":
            i += 2
            continue
        if rest[i] == quote:
            return i
        i += 1
    return -1
