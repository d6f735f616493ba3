"""Golden files: input + rules -> expected output, byte for byte; Kubernetes objects stay valid."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import pytest
from ruamel.yaml import YAML

from clone_action.manifest import apply_patch, placeholder_values

from .support import VALUES, plan, snapshot

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())
KUBERNETES_VERSION = "1.30"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def run_case(case: str, workspace: Path) -> list[str]:
    shutil.copytree(GOLDEN / case / "input", workspace, dirs_exist_ok=True)
    changes = plan(workspace, lines(GOLDEN / case / "manifest.txt"), lines(GOLDEN / case / "rules.txt"))
    return apply_patch(changes)


def test_every_format_has_a_golden_case() -> None:
    assert CASES == ["configmap", "deployment", "dotenv", "helm", "json", "kustomize", "multidoc"]


@pytest.mark.parametrize("case", CASES)
def test_output_matches_the_golden_files_byte_for_byte(case: str, tmp_path: Path) -> None:
    written = run_case(case, tmp_path)

    inputs = snapshot(GOLDEN / case / "input")
    expected = snapshot(GOLDEN / case / "expected")
    assert written == sorted(expected)
    assert snapshot(tmp_path) == {**inputs, **expected}


@pytest.mark.parametrize("case", CASES)
def test_a_plan_with_placeholder_values_applies_the_same_rules_and_writes_nothing(
    case: str, tmp_path: Path
) -> None:
    shutil.copytree(GOLDEN / case / "input", tmp_path, dirs_exist_ok=True)
    patterns, rules = lines(GOLDEN / case / "manifest.txt"), lines(GOLDEN / case / "rules.txt")

    early = plan(tmp_path, patterns, rules, placeholder_values())
    late = plan(tmp_path, patterns, rules, VALUES)

    assert [(c.relative, c.applied) for c in early] == [(c.relative, c.applied) for c in late]
    assert snapshot(tmp_path) == snapshot(GOLDEN / case / "input")


def kubernetes_objects() -> list[Any]:
    """Every document of the expected YAML files that is a Kubernetes API object."""
    found = []
    for path in sorted(GOLDEN.glob("*/expected/**/*.y*ml")):
        for number, document in enumerate(YAML(typ="safe").load_all(path.read_text())):
            # A Kustomization is kustomize's own configuration, not an object of the API server.
            if (
                isinstance(document, dict)
                and {"apiVersion", "kind"} <= document.keys()
                and not str(document["apiVersion"]).startswith("kustomize.config.k8s.io/")
            ):
                name = f"{path.relative_to(GOLDEN).as_posix()}#{number}:{document['kind']}"
                found.append(pytest.param(document, id=name))
    return found


OBJECTS = kubernetes_objects()


def test_the_golden_outputs_hold_kubernetes_objects_of_each_kind() -> None:
    kinds = sorted({param.values[0]["kind"] for param in OBJECTS})
    assert kinds == ["ConfigMap", "Deployment", "Service"]
    assert len(OBJECTS) == 5


@pytest.mark.parametrize("document", OBJECTS)
def test_every_patched_kubernetes_object_is_valid(document: dict[str, Any]) -> None:
    assert kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION


def test_the_validator_rejects_a_port_written_as_a_number_into_a_configmap() -> None:
    # What the string rule prevents: ConfigMap data and env values must be strings.
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db"}, "data": {"PORT": 5432}}
    with pytest.raises(kubernetes_validate.ValidationError, match="5432 is not of type 'string', 'null'"):
        kubernetes_validate.validate(config_map, KUBERNETES_VERSION, strict=True)
