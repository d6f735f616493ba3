"""`make demo`: the action's whole lifecycle against a local AWS emulator and a local fake GitHub.

Runs entrypoint.py exactly as the GitHub runner runs the container (INPUT_ variables, the
event file, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, the workspace as working directory), with the
inputs of the example workflows in examples/workflows/:

1. a PR is labelled `clone-db`: preview-environment.yml clones the source, patches the
   manifests of examples/deploy/ and comments on the PR;
2. the PR closes: teardown-on-close.yml deletes the clone and updates the comment;
3. the nightly purge-nightly.yml deletes a clone whose teardown was missed.

AWS is a moto server on 127.0.0.1, GitHub a small fake REST API on 127.0.0.1: nothing here
reaches real AWS or GitHub.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.fake_aws import make_source  # noqa: E402
from testkit import real_rds  # noqa: E402
from testkit.fake_github import FakeGitHub, serve  # noqa: E402
from tests import helpers  # noqa: E402
from tests.helpers import parse_output_file  # noqa: E402

WORKFLOWS = ROOT / "examples" / "workflows"
REGION = "eu-west-1"
REPOSITORY = "acme/shop"
PR = 42
TOKEN = "ghs_demo-token-not-real"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text} ==\033[0m" if sys.stdout.isatty() else f"\n== {text} ==")


def example_inputs(workflow: str) -> dict[str, str]:
    """The `with:` block of the workflow's aurora-clone step, as the runner passes it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    action = yaml.load((ROOT / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs["github-token"] = TOKEN  # the runner evaluates ${{ github.token }}
    for job in yaml.load((WORKFLOWS / workflow).read_text())["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).split("@")[0].endswith("aurora-clone-action"):
                for key, value in (step.get("with") or {}).items():
                    text = str(value).lower() if isinstance(value, bool) else str(value)
                    # Expressions the runner would evaluate: the demo's workflow_dispatch has no inputs.
                    inputs[key] = re.sub(r"\$\{\{.*?\}\}", "false", text)
    return inputs


def pr_event(action: str, label: str = "") -> dict[str, Any]:
    return helpers.pr_event(action, number=PR, label=label, title="Checkout: pay with saved cards")


class Runner:
    """Runs the container's entry point as the GitHub runner would, one step at a time."""

    def __init__(self, tmp: Path, aws_url: str, github_url: str) -> None:
        self.tmp, self.aws_url, self.github_url = tmp, aws_url, github_url
        self.workspace = tmp / "workspace"
        shutil.copytree(ROOT / "examples" / "deploy", self.workspace / "deploy")
        self.steps = 0

    def step(self, title: str, workflow: str, event_name: str, event: dict[str, Any]) -> dict[str, str]:
        self.steps += 1
        files = self.tmp / f"file_commands_{self.steps}"
        files.mkdir()
        (files / "output").touch()
        (files / "summary").touch()
        (files / "event.json").write_text(json.dumps(event))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.tmp),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(files / "event.json"),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(files / "output"),
            "GITHUB_STEP_SUMMARY": str(files / "summary"),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": self.github_url,
            "GITHUB_RUN_ID": str(1000 + self.steps),
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.aws_url,
        }
        env.update({"INPUT_" + name.upper(): value for name, value in example_inputs(workflow).items()})
        banner(f"{self.steps}. {title} ({workflow}): the step's log")
        subprocess.run(
            [sys.executable, str(ROOT / "entrypoint.py")], cwd=self.workspace, env=env, check=False
        )
        outputs = parse_output_file((files / "output").read_text())
        banner(f"{self.steps}. {title}: step outputs")
        for name, value in outputs.items():
            print(f"  {name:<22} " + value.replace("\n", "\n" + " " * 25))
        banner(f"{self.steps}. {title}: job summary (markdown)")
        print(textwrap.indent((files / "summary").read_text().strip(), "  "))
        return outputs


def missed_teardown(rds: Any, source: str) -> None:
    """A clone of PR #17, closed long ago while CI was down: its teardown never ran."""
    rds.restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier=source,
        DBClusterIdentifier=f"{source}-pr-17",
        RestoreType="copy-on-write",
        UseLatestRestorableTime=True,
        DeletionProtection=False,
        Tags=[
            {"Key": "aurora-clone/managed", "Value": "true"},
            {"Key": "aurora-clone/repository", "Value": REPOSITORY},
            {"Key": "aurora-clone/pr", "Value": "17"},
            {"Key": "aurora-clone/source", "Value": source},
            {"Key": "aurora-clone/expires-at", "Value": "2026-01-01T00:00:00Z"},
        ],
    )


def main() -> int:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    real_rds.install()  # moto, corrected where it differs from real RDS (testkit/real_rds.py)
    source = example_inputs("preview-environment.yml")["source-cluster"]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    github = FakeGitHub(pulls={PR: "open", 17: "closed"}, labels={PR: ["clone-db"]})
    github_server, _ = serve(github)
    try:
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
        rds = session.client("rds", endpoint_url=f"http://{host}:{port}")
        make_source(
            rds, session.client("ec2", endpoint_url=f"http://{host}:{port}"), name=source, region=REGION
        )
        banner("Setup")
        print(f"  AWS: a moto server on http://{host}:{port}, region {REGION}")
        print(f"  GitHub: a fake REST API on {github.url}, repository {REPOSITORY}")
        print(f"  source cluster '{source}': aurora-postgresql, deletion protection on, production tags")
        with tempfile.TemporaryDirectory(prefix="aurora-clone-demo-") as tmp:
            runner = Runner(Path(tmp), f"http://{host}:{port}", github.url)
            before = (runner.workspace / "deploy/k8s/deployment.yaml").read_text()
            cloned = runner.step(
                "PR #42 labelled clone-db",
                "preview-environment.yml",
                "pull_request",
                pr_event("labeled", "clone-db"),
            )
            after = (runner.workspace / "deploy/k8s/deployment.yaml").read_text()
            banner("The patched manifest (deploy/k8s/deployment.yaml, changed lines)")
            import difflib

            for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1):
                print("  " + line)
            banner("The comment on PR #42")
            print(textwrap.indent("\n".join(github.comment_bodies(PR)), "  "))

            github.pulls[PR] = "closed"
            deleted = runner.step(
                "PR #42 merged and closed", "teardown-on-close.yml", "pull_request", pr_event("closed")
            )
            banner("The comment on PR #42, updated")
            print(textwrap.indent("\n".join(github.comment_bodies(PR)), "  "))

            missed_teardown(rds, source)
            purged = runner.step("Nightly purge", "purge-nightly.yml", "schedule", {"schedule": "17 3 * * *"})
        clusters = sorted(c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"])
        banner("AWS at the end")
        print(f"  clusters: {', '.join(clusters)}")
        ok = (
            cloned.get("status") == "available"
            and deleted.get("status") == "deleted"
            and json.loads(purged.get("purged", "[]")) == [f"{source}-pr-17"]
            and clusters == [source]
        )
        print("\nDemo finished: " + ("every step did what it should." if ok else "SOMETHING WENT WRONG."))
        return 0 if ok else 1
    finally:
        github_server.shutdown()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
