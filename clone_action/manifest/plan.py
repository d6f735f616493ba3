"""The plan: every manifest file parsed, every rule applied in memory, every problem found at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .document import Document, NotParsed, nearest
from .files import UNSUPPORTED, FileChange, kind, read_text, resolve
from .rules import Rule, render

# How many files a rule that resolves nowhere names; the file where it went deepest is named too.
_NAMED = 3


@dataclass
class _Loaded:
    path: Path
    relative: str
    text: str
    document: Document


def _parser(name: str) -> Callable[[str], Document]:
    # Each format is imported when a file of it is patched: ruamel.yaml only for a YAML file.
    if name == "YAML":
        from .yaml_file import YamlDocument

        return YamlDocument
    if name == "JSON":
        from .json_file import JsonDocument

        return JsonDocument
    from .dotenv_file import DotenvDocument

    return DotenvDocument


def _load(path: Path, relative: str, problems: list[str]) -> _Loaded | None:
    format_name = kind(path.name)
    if format_name is None:
        problems.append(f"manifest: {relative!r} {UNSUPPORTED}")
        return None
    text = read_text(path, relative, problems)
    if text is None:
        return None
    try:
        return _Loaded(path, relative, text, _parser(format_name)(text))
    except NotParsed as why:
        problems.append(f"manifest: {relative!r} {why}")
    return None


def plan_patch(
    workspace: Path, patterns: Sequence[str], rules: Sequence[Rule], values: Mapping[str, str]
) -> list[FileChange]:
    """Every file the patterns name, with the rules applied in memory; InputError lists every problem."""
    if not patterns and not rules:
        return []
    if not patterns:
        raise InputError(["manifest-set: rules need manifest files; list the files to patch in manifest"])
    if not rules:
        raise InputError(["manifest: files need manifest-set rules; add PATH=VALUE lines to manifest-set"])
    problems: list[str] = []
    loaded = [
        file
        for path, relative in resolve(workspace, patterns, problems)
        if (file := _load(path, relative, problems)) is not None
    ]
    unreadable = bool(problems)

    applied: dict[str, list[str]] = {file.relative: [] for file in loaded}
    for rule in rules:
        value = render(rule.value, values)
        tried = []
        for file in loaded:
            outcome = file.document.apply(rule, value, file.relative)
            if outcome is None:
                continue
            tried.append(file)
            problems += outcome.problems
            if outcome.hits:
                applied[file.relative].append(rule.text)
        if tried and not any(rule.text in applied[file.relative] for file in tried):
            problems.append(_nowhere(rule, tried))
        elif not tried and not unreadable:
            problems.append(
                "manifest-set: PATH is not a dotenv KEY and manifest lists no YAML or JSON file, "
                f"got {rule.text!r}"
            )
    if problems:
        raise InputError(problems)
    return [
        FileChange(
            path=file.path,
            relative=file.relative,
            before=file.text,
            after=file.document.render() if file.document.modified else file.text,
            applied=applied[file.relative],
        )
        for file in loaded
    ]


def _nowhere(rule: Rule, tried: Sequence[_Loaded]) -> str:
    """Why a rule resolves in none of the files: where its PATH went deepest, and the fix."""
    misses = [(miss, file) for file in tried if (miss := file.document.explain(rule))]
    why, fix = "", ""
    if misses:
        miss, file = max(misses, key=lambda found: nearest(found[0]))
        why = f": {'in ' + file.relative + ', ' if len(tried) > 1 else ''}{miss.reason}"
        if miss.creatable and not rule.create:
            fix = f"; to create the key, write {'+' + rule.text.strip()!r}"
        elif rule.create and len(rule.path) == 1:
            fix = "; + adds a key at the top level only to a dotenv file"
    names = ", ".join(file.relative for file in tried[:_NAMED])
    if len(tried) > _NAMED:
        names += f" and {len(tried) - _NAMED} more files"
    return f"manifest-set: PATH resolves in no document of {names}{why}, got {rule.text!r}{fix}"
