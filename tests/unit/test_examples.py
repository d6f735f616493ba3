"""The example workflow's manifest rules apply to the sample manifests, and the result is valid."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
from ruamel.yaml import YAML

from clone_action import manifest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def clone_step_inputs(workflow: str) -> dict[str, str]:
    jobs = YAML(typ="safe").load((EXAMPLES / "workflows" / workflow).read_text())["jobs"]
    for job in jobs.values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("org/aurora-clone-action@"):
                return {k: str(v) for k, v in step["with"].items()}
    raise AssertionError(f"{workflow} has no aurora-clone step")


def test_the_preview_environment_rules_patch_every_sample_manifest(tmp_path: Path) -> None:
    inputs = clone_step_inputs("preview-environment.yml")
    rules = manifest.parse_rules([line for line in inputs["manifest-set"].splitlines() if line.strip()])
    patterns = [line for line in inputs["manifest"].splitlines() if line.strip()]
    values = {
        **manifest.placeholder_values(),
        "endpoint": "shop-production-pr-42.cluster-abc.eu-west-1.rds.amazonaws.com",
    }

    changes = manifest.plan_patch(EXAMPLES, patterns, rules, values)

    assert sorted(c.relative for c in changes) == [
        "deploy/helm/values-preview.yaml",
        "deploy/k8s/configmap.yaml",
        "deploy/k8s/deployment.yaml",
    ]
    assert all(c.after != c.before for c in changes)
    deployment = next(c for c in changes if c.relative.endswith("deployment.yaml"))
    assert (
        'value: "shop-production-pr-42.cluster-abc.eu-west-1.rds.amazonaws.com"   # replaced'
        in deployment.after
    )
    assert 'value: "not-patched"' in deployment.after  # only the container named app
    for change in changes:
        if "/k8s/" in change.relative:
            for document in YAML(typ="safe").load_all(change.after):
                kubernetes_validate.validate(document, "1.30", strict=True)
