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
import re
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit import events  # noqa: E402
from testkit.events import REPOSITORY  # noqa: E402
from testkit.fake_aws import Account, Moto, make_clone, make_source  # noqa: E402
from testkit.fake_github import FakeGitHub, serve  # noqa: E402
from testkit.runner import REGION, Job, Result, run_subprocess  # noqa: E402

WORKFLOWS = ROOT / "examples" / "workflows"
PR = 42
TOKEN = "ghs_demo-token-not-real"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text} ==\033[0m" if sys.stdout.isatty() else f"\n== {text} ==")


def example_inputs(workflow: str) -> dict[str, str]:
    """The `with:` block of the workflow's aurora-clone step (the runner step adds action.yml's defaults)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    inputs: dict[str, str] = {}
    for job in yaml.load((WORKFLOWS / workflow).read_text())["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).split("@")[0].endswith("aurora-clone-action"):
                for key, value in (step.get("with") or {}).items():
                    text = str(value).lower() if isinstance(value, bool) else str(value)
                    # Expressions the runner would evaluate: the demo's workflow_dispatch has no inputs.
                    inputs[key] = re.sub(r"\$\{\{.*?\}\}", "false", text)
    return inputs


def pr_event(action: str, label: str = "") -> dict[str, Any]:
    return events.pr_event(action, number=PR, label=label, title="Checkout: pay with saved cards")


class Runner:
    """Runs the container's entry point as the GitHub runner would, one step at a time."""

    def __init__(self, tmp: Path, aws_url: str, github_url: str) -> None:
        self.job = Job(tmp)
        self.aws_url, self.github_url = aws_url, github_url
        self.workspace = self.job.dir("workspace")
        shutil.copytree(ROOT / "examples" / "deploy", self.workspace / "deploy")

    def step(self, title: str, workflow: str, event_name: str, event: dict[str, Any]) -> dict[str, str]:
        step = self.job.step(
            example_inputs(workflow),
            event,
            event_name,
            token=TOKEN,
            env={
                "GITHUB_API_URL": self.github_url,
                "GITHUB_RUN_ID": str(1001 + self.job.steps),
                "AWS_ENDPOINT_URL": self.aws_url,
            },
        )
        banner(f"{self.job.steps}. {title} ({workflow}): the step's log")
        result = run_subprocess(step)
        show_log(result)
        banner(f"{self.job.steps}. {title}: step outputs")
        for name, value in result.outputs.items():
            print(f"  {name:<22} " + value.replace("\n", "\n" + " " * 25))
        banner(f"{self.job.steps}. {title}: job summary (markdown)")
        print(textwrap.indent(result.summary.strip(), "  "))
        return result.outputs


def show_log(result: Result) -> None:
    print(result.log, end="")
    print(result.stderr, end="", file=sys.stderr)


def missed_teardown(rds: Any, source: str) -> None:
    """A clone of PR #17, closed long ago while CI was down: its teardown never ran."""
    make_clone(
        rds, f"{source}-pr-17", pr=17, expires="2026-01-01T00:00:00Z", source=source, restore_from=source
    )


def main() -> int:
    source = example_inputs("preview-environment.yml")["source-cluster"]
    moto = Moto(in_process=False)  # a server only: the action runs in a subprocess
    github = FakeGitHub(pulls={PR: "open", 17: "closed"}, labels={PR: ["clone-db"]})
    github_server, _ = serve(github)
    try:
        aws = Account(moto, make_source(moto.rds, moto.ec2, name=source, region=REGION))
        banner("Setup")
        print(f"  AWS: a moto server on {moto.url}, region {REGION}")
        print(f"  GitHub: a fake REST API on {github.url}, repository {REPOSITORY}")
        print(f"  source cluster '{source}': aurora-postgresql, deletion protection on, production tags")
        with tempfile.TemporaryDirectory(prefix="aurora-clone-demo-") as tmp:
            runner = Runner(Path(tmp), moto.url, github.url)
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

            missed_teardown(aws.rds, source)
            purged = runner.step("Nightly purge", "purge-nightly.yml", "schedule", events.schedule_event())
        clusters = aws.cluster_ids()
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
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
