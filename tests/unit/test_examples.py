"""The examples and the release workflow do what the README says: manifest rules, concurrency, tags."""

from __future__ import annotations

import re
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


def test_no_example_can_queue_a_teardown_where_github_would_drop_it() -> None:
    """A concurrency group keeps one pending run and cancels it for a newer one: a `closed` run in
    a group shared with other runs can be dropped. A run that may tear down is in no group, and no
    two example workflows share a group."""
    groups: dict[str, str] = {}
    for path in sorted((EXAMPLES / "workflows").glob("*.yml")):
        workflow = YAML(typ="safe").load(path.read_text())
        triggers = workflow.get("on") or workflow.get(True) or {}
        types = (triggers.get("pull_request") or triggers.get("pull_request_target") or {}) or {}
        tears_down = {"closed", "unlabeled"} & set(types.get("types") or [])
        for name, job in workflow["jobs"].items():
            concurrency = job.get("concurrency") or workflow.get("concurrency")
            if tears_down:
                assert concurrency is None, f"{path.name}: job {name} can tear down, yet has {concurrency}"
            elif concurrency:
                group = str(concurrency["group"] if isinstance(concurrency, dict) else concurrency)
                assert groups.setdefault(group, path.name) == path.name, f"{path.name} shares {group}"


def test_a_release_never_moves_its_version_tag_and_the_readme_verifies_its_signer() -> None:
    """The README's `cosign verify` accepts the identity release.yml signs with (the workflow on
    main), and a release pushes its exact version tag without force: only the major tag moves."""
    path = ROOT / ".github" / "workflows" / "release.yml"
    workflow = YAML(typ="safe").load(path.read_text())
    assert list(workflow.get("on") or workflow[True]) == ["workflow_dispatch"]  # so its ref is main
    steps = workflow["jobs"]["release"]["steps"]
    script = "\n".join(str(step.get("run", "")) for step in steps)
    pushes = [line.strip() for line in script.splitlines() if line.strip().startswith("git push")]
    assert pushes == ['git push origin "refs/tags/$VERSION"', 'git push -f origin "refs/tags/$MAJOR"']
    build = next(step for step in steps if str(step.get("uses", "")).startswith("docker/build-push-action@"))
    assert (build["with"]["sbom"], build["with"]["provenance"]) == (True, "mode=max")
    assert 'cosign sign --yes "${IMAGE}@${DIGEST}"' in script

    readme = (ROOT / "README.md").read_text()
    identity = re.search(r"--certificate-identity-regexp '([^']+)'", readme)
    assert identity is not None
    signer = "https://github.com/org/aurora-clone-action/.github/workflows/release.yml@refs/heads/main"
    assert re.fullmatch(identity[1], signer)
    assert not re.fullmatch(identity[1], signer.replace("refs/heads/main", "refs/heads/evil"))
    assert "--certificate-oidc-issuer https://token.actions.githubusercontent.com" in readme
