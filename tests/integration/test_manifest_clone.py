"""Clone with manifest patching: checked before the clone, written after it, all or nothing."""

from __future__ import annotations

from testkit.events import pr_event
from testkit.harness import Harness

CLONE = "prod-pr-7"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop  # the storefront
spec:
  template:
    spec:
      containers:
      - name: app
        image: shop:1.2.3
        env:
        - name: DB_HOST
          value: "localhost"
        - name: DB_PORT
          value: "5432"
"""
DOTENV = "# local settings\nDB_HOST=localhost\nexport DB_URL='postgresql://localhost/'\n"
RULES = """\
spec.template.spec.containers[name=app].env[name=DB_HOST].value={endpoint}
spec.template.spec.containers[name=app].env[name=DB_PORT].value={port}
DB_HOST={endpoint}
DB_URL={database_url}
"""
FILES = {"k8s/deployment.yaml": DEPLOYMENT, "app/.env": DOTENV}
INPUTS = {"manifest": "k8s/*.yaml\napp/.env", "manifest-set": RULES}


def test_the_clone_endpoint_is_written_into_every_manifest(action: Harness) -> None:
    result = action.run(INPUTS, files=FILES)

    assert result.code == 0, result.log
    endpoint = result.outputs["endpoint"]
    assert (action.workspace / "k8s/deployment.yaml").read_text() == DEPLOYMENT.replace(
        '"localhost"', f'"{endpoint}"'
    )
    assert (action.workspace / "app/.env").read_text() == (
        f"# local settings\nDB_HOST={endpoint}\nexport DB_URL='postgresql://app@{endpoint}:5432/'\n"
    )
    assert result.outputs["manifest-files"] == "app/.env\nk8s/deployment.yaml"
    assert (
        "| `k8s/deployment.yaml` | patched | `spec.template.spec.containers[name=app].env[name=DB_HOST]"
        in (result.summary)
    )


def test_a_missing_manifest_stops_the_run_before_any_aws_call(action: Harness) -> None:
    result = action.run({**INPUTS, "manifest": "k8s/*.yaml\napp/.env\nhelm/values.yaml"}, files=FILES)

    assert result.code == 1
    assert "helm/values.yaml" in result.log
    assert action.calls.names() == []
    assert action.cluster(CLONE) is None
    assert (action.workspace / "k8s/deployment.yaml").read_text() == DEPLOYMENT


def test_a_rule_that_resolves_nowhere_stops_the_run_before_the_clone(action: Harness) -> None:
    rules = RULES + "spec.template.spec.containers[name=worker].env[name=DB_HOST].value={endpoint}\n"

    result = action.run({**INPUTS, "manifest-set": rules}, files=FILES)

    assert result.code == 1
    assert "manifest-set: PATH resolves in no document of" in result.log
    assert "containers[name=worker]" in result.log
    assert action.cluster(CLONE) is None
    assert (action.workspace / "app/.env").read_text() == DOTENV


def test_a_misspelt_key_stops_the_run_before_the_clone_instead_of_adding_it(action: Harness) -> None:
    rules = RULES.replace("].value={endpoint}", "].valeu={endpoint}")

    result = action.run({**INPUTS, "manifest-set": rules}, files=FILES)

    assert result.code == 1
    assert (
        "manifest-set: PATH resolves in no document of k8s/deployment.yaml: spec.template.spec.containers[name=app].env[name=DB_HOST] has no key 'valeu' (did you mean "
        "spec.template.spec.containers[name=app].env[name=DB_HOST].value?)"
    ) in result.log
    assert action.calls.names() == []
    assert (action.workspace / "k8s/deployment.yaml").read_text() == DEPLOYMENT


def test_a_plus_rule_adds_the_key_it_names(action: Harness) -> None:
    result = action.run({**INPUTS, "manifest-set": RULES + "+DB_PORT={port}\n"}, files=FILES)

    assert result.code == 0, result.log
    assert (action.workspace / "app/.env").read_text().endswith("'\nDB_PORT=5432\n")
    assert "DB_PORT=" not in (action.workspace / "k8s/deployment.yaml").read_text().split("env:")[0]


def test_a_bad_rule_is_an_input_error(action: Harness) -> None:
    result = action.run({**INPUTS, "manifest-set": "spec.containers[name=app.image"}, files=FILES)

    assert result.code == 1
    assert "manifest-set:" in result.log
    assert action.calls.names() == []


def test_dry_run_prints_the_diff_and_writes_nothing(action: Harness) -> None:
    result = action.run({**INPUTS, "dry-run": "true"}, files=FILES)

    assert result.code == 0, result.log
    assert (
        "The manifests would change like this (placeholder values: the clone does not exist yet):"
        in result.log
    )
    assert '-          value: "localhost"' in result.log
    # The diff holds the workspace's text: printed where the runner runs no workflow command.
    lines = result.log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    end = lines.index(f"::{lines[start].removeprefix('::stop-commands::')}::")
    assert start < lines.index('-          value: "localhost"') < end
    assert (action.workspace / "k8s/deployment.yaml").read_text() == DEPLOYMENT
    assert action.cluster(CLONE) is None


def test_teardown_does_not_touch_the_manifests(action: Harness) -> None:
    action.run(INPUTS, files=FILES)

    result = action.run(INPUTS, event=pr_event("closed"), files=FILES)

    assert result.code == 0, result.log
    assert (action.workspace / "k8s/deployment.yaml").read_text() == DEPLOYMENT
    assert "manifest-files" not in result.outputs
