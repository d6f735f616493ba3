"""The README's manifest examples, run: its rules over its files give its diffs and its error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from clone_action.errors import InputError
from clone_action.manifest import parse_rules

from .support import plan, write_tree

ROOT = Path(__file__).resolve().parents[3]
SECTION = (ROOT / "README.md").read_text().split("\n## Patching manifests\n", 1)[1].split("\n## ", 1)[0]
ENDPOINT = "shop-production-pr-42.cluster-abc.eu-west-1.rds.amazonaws.com"
VALUES = {
    "endpoint": ENDPOINT,
    "reader_endpoint": "shop-production-pr-42.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
    "port": "5432",
    "cluster_id": "shop-production-pr-42",
    "engine": "aurora-postgresql",
    "database_url": f"postgresql://app@{ENDPOINT}:5432/",
}


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", SECTION, re.DOTALL | re.MULTILINE)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


STEP = next(block for block in blocks("yaml") if "manifest-set:" in block)
INPUTS = YAML(typ="safe").load(STEP)[0]["with"]
PATTERNS, RULES = lines(INPUTS["manifest"]), lines(INPUTS["manifest-set"])


def whole_file_diff(block: str) -> tuple[str, str, str]:
    """(path, text before, text after) of a diff that shows every line of one file."""
    header, plus, hunk, *body = block.splitlines(keepends=True)
    path = header.removeprefix("--- a/").strip()
    assert plus.strip() == f"+++ b/{path}"
    before = "".join(line[1:] for line in body if line[0] in " -")
    after = "".join(line[1:] for line in body if line[0] in " +")
    assert hunk.strip() == f"@@ -1,{before.count(chr(10))} +1,{after.count(chr(10))} @@"
    return path, before, after


DIFFS = [whole_file_diff(block) for block in blocks("diff")]


def test_the_readme_shows_every_file_its_rules_patch() -> None:
    assert sorted(path for path, _, _ in DIFFS) == sorted(
        [
            "k8s/deployment.yaml",
            "k8s/configmap.yaml",
            "helm/values-preview.yaml",
            "config/settings.json",
            ".env.preview",
        ]
    )
    assert any(rule.startswith("+") for rule in RULES)


def test_the_readme_rules_change_its_files_as_its_diffs_show(tmp_path: Path) -> None:
    write_tree(tmp_path, {path: before for path, before, _ in DIFFS})

    changes = plan(tmp_path, PATTERNS, RULES, VALUES)

    assert {c.relative: c.after for c in changes} == {path: after for path, _, after in DIFFS}


def test_the_readme_misspelt_key_stops_the_run_with_the_error_it_shows(tmp_path: Path) -> None:
    write_tree(tmp_path, {path: before for path, before, _ in DIFFS})
    misspelt = [rule.replace("database.host=", "database.hots=") for rule in RULES]
    [shown] = [block for block in blocks("text") if "database.hots" in block]

    with pytest.raises(InputError) as caught:
        plan(tmp_path, PATTERNS, misspelt, VALUES)

    assert str(caught.value) == shown.rstrip("\n")


INLINE_RULES = [span for span in re.findall(r"`([^`\n]+)`", SECTION) if "=" in span and span[0] not in "=["]


def test_the_readme_names_rules_inline() -> None:
    assert 'metadata.annotations."example.com/db"={endpoint}' in INLINE_RULES
    assert "+KEY=VALUE" in INLINE_RULES


@pytest.mark.parametrize("rule", INLINE_RULES)
def test_every_rule_the_readme_writes_inline_parses(rule: str) -> None:
    assert parse_rules([rule])[0].text == rule
