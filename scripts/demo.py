"""`make demo`: the action's lifecycle against a local AWS emulator (moto on 127.0.0.1).

Runs entrypoint.py exactly as the GitHub runner runs the container, with the inputs of
examples/workflows/preview-database.yml, for a PR that is labelled (clone), pushed to
(reuse) and closed (teardown), and prints what a user would see: the step log, the step
outputs and the job summary. Nothing here reaches real AWS or GitHub.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.fake_aws import make_source  # noqa: E402
from tests.helpers import parse_output_file  # noqa: E402

WORKFLOW = ROOT / "examples" / "workflows" / "preview-database.yml"
REGION = "eu-west-1"
REPOSITORY = "acme/shop"
PR = 42


def banner(text: str) -> None:
    print(f"\n\033[1m== {text} ==\033[0m" if sys.stdout.isatty() else f"\n== {text} ==")


def example_inputs() -> dict[str, str]:
    """The `with:` block of the example workflow's aurora-clone step, over action.yml's defaults."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    action = yaml.load((ROOT / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs["github-token"] = "ghs_demo-token-not-real"
    workflow = yaml.load(WORKFLOW.read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).split("@")[0].endswith("aurora-clone-action"):
                inputs.update({k: str(v) for k, v in (step.get("with") or {}).items()})
    return inputs


def pr_event(action: str, label: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "action": action,
        "number": PR,
        "pull_request": {
            "number": PR,
            "state": "closed" if action == "closed" else "open",
            "title": "Checkout: pay with saved cards",
            "labels": [{"name": "clone-db"}],
            "head": {"ref": "feature/saved-cards", "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
        },
        "repository": {"full_name": REPOSITORY},
    }
    if label:
        event["label"] = {"name": label}
    return event


def run_step(
    title: str, tmp: Path, endpoint: str, inputs: dict[str, str], event: dict[str, Any]
) -> dict[str, str]:
    """One run of the container action, as the runner does it; prints log, outputs, summary."""
    step = tmp / re.sub(r"\W+", "-", title.lower())
    workspace, files = step / "workspace", step / "file_commands"
    workspace.mkdir(parents=True)
    files.mkdir()
    (files / "output").touch()
    (files / "summary").touch()
    (step / "event.json").write_text(json.dumps(event))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(step),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(step / "event.json"),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_RUN_ID": "1001",
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
    }
    env.update({"INPUT_" + name.upper(): value for name, value in inputs.items()})
    banner(f"{title}: the step's log")
    subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=workspace, env=env, check=False)
    outputs = parse_output_file((files / "output").read_text())
    banner(f"{title}: step outputs (steps.db.outputs)")
    for name, value in outputs.items():
        print(f"  {name:<16} {value}")
    banner(f"{title}: job summary (markdown)")
    print(textwrap.indent((files / "summary").read_text().strip(), "  "))
    return outputs


def main() -> int:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    inputs = example_inputs()
    source = inputs["source-cluster"]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
        rds = session.client("rds", endpoint_url=endpoint)
        make_source(rds, session.client("ec2", endpoint_url=endpoint), name=source, region=REGION)
        banner("Setup")
        print(f"  local AWS emulator (moto) on {endpoint}, region {REGION}")
        print(f"  source cluster '{source}' (aurora-postgresql, deletion protection on, prod tags)")
        print(
            f"  inputs from {WORKFLOW.relative_to(ROOT)}: "
            + ", ".join(f"{k}={v!r}" for k, v in inputs.items() if k in ("source-cluster", "ttl", "tags"))
        )
        with tempfile.TemporaryDirectory(prefix="aurora-clone-demo-") as tmp:
            outputs = run_step(
                "PR #42 labelled clone-db", Path(tmp), endpoint, inputs, pr_event("labeled", "clone-db")
            )
            run_step("PR #42 gets a new push", Path(tmp), endpoint, inputs, pr_event("synchronize"))
            clusters = [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]]
            banner("AWS while the PR is open")
            print(f"  clusters: {', '.join(sorted(clusters))}")
            closed = run_step("PR #42 is merged and closed", Path(tmp), endpoint, inputs, pr_event("closed"))
        clusters = [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]]
        banner("AWS after the PR closed")
        print(f"  clusters: {', '.join(sorted(clusters))}")
        ok = outputs.get("status") == "available" and closed.get("status") == "deleted"
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
