"""What every manifest format offers: a Document parsed from text, rules applied, text rendered back."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .rules import Rule
from .tree import MISSING, Miss, explain, targets

_DIGITS = re.compile(r"[0-9]+")


class NotParsed(Exception):
    """Why a text is not of its format: the end of `manifest: 'FILE' ...`."""


@dataclass
class Outcome:
    """What one rule did in one file."""

    hits: int = 0
    modified: bool = False
    problems: list[str] = field(default_factory=list)


class Document(Protocol):
    """One manifest file, parsed (a format's constructor takes its text and raises NotParsed)."""

    @property
    def modified(self) -> bool:
        """Whether any rule changed a value."""
        ...

    def apply(self, rule: Rule, value: str, relative: str) -> Outcome | None:
        """Apply a rule with its rendered value; None when the rule cannot apply to this format."""
        ...

    def explain(self, rule: Rule) -> Miss | None:
        """Why the rule resolves nowhere in this file (asked only after apply found no place)."""
        ...

    def render(self) -> str:
        """The text, with every value a rule changed (called only when modified)."""
        ...


def typed(old: Any, value: str) -> Any:
    """The value to store: an int where an int was and the value is all digits, else a string."""
    if isinstance(old, int) and not isinstance(old, bool) and _DIGITS.fullmatch(value):
        return int(value)
    return value


# Stores a rendered value at (container, key), where `old` was; True when that changed the tree.
Store = Callable[[Any, Any, Any, str], bool]


def put(container: Any, key: Any, old: Any, new: Any) -> bool:
    """Store new where old was, unless it is the same value of the same type; True when stored."""
    if old is not MISSING and type(old) is type(new) and old == new:
        return False
    container[key] = new
    return True


def store(container: Any, key: Any, old: Any, value: str) -> bool:
    """Store the value with the type a reader expects, when it differs from the old one."""
    return put(container, key, old, typed(old, value))


def apply_to_trees(
    roots: Sequence[Any], rule: Rule, value: str, relative: str, put: Store = store
) -> Outcome:
    """Apply a rule to every place its PATH resolves to in the trees (the documents of a file)."""
    outcome = Outcome()
    for root in roots:
        for container, key in targets(root, rule.path, create=rule.create):
            outcome.hits += 1
            old = container.get(key, MISSING) if isinstance(container, dict) else container[key]
            if isinstance(old, dict | list):
                what = "a mapping" if isinstance(old, dict) else "a list"
                outcome.problems.append(
                    f"manifest-set: PATH leads to {what} in {relative!r}, not to a value, got {rule.text!r}"
                )
            elif put(container, key, old, value):
                outcome.modified = True
    return outcome


def explain_trees(roots: Sequence[Any], rule: Rule) -> Miss | None:
    """Why the rule resolves in none of the trees: the miss of the one where PATH went deepest."""
    misses = [miss for root in roots if (miss := explain(root, rule.path, create=rule.create))]
    return max(misses, key=nearest, default=None)


def nearest(miss: Miss) -> tuple[int, bool]:
    """How near a miss is to what the rule meant: the deepest, then one with a suggestion."""
    return miss.depth, miss.suggests
