"""The README's inputs and outputs tables say what action.yml says."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())


def table(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table under a '## heading' of the README."""
    section = (ROOT / "README.md").read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_the_inputs_table_lists_every_input_in_order_with_its_default() -> None:
    rows = table("Inputs")
    assert [row[0].strip("`") for row in rows] == list(ACTION["inputs"])
    for name, default, _ in rows:
        spec = ACTION["inputs"][name.strip("`")]
        if "default" in spec:
            assert default == f"`{spec['default']}`", name
        else:
            assert not default.startswith("`"), name


def test_the_outputs_table_lists_every_output_in_order() -> None:
    assert [row[0].strip("`") for row in table("Outputs")] == list(ACTION["outputs"])
