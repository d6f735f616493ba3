"""The image built from our Dockerfile, run exactly as the GitHub runner runs a container action.

testkit/container.py builds the image (debootstrap base + buildah, no Docker engine) and runs a
step of testkit.runner in it with podman: --workdir /github/workspace, the /github/* mounts,
`-e NAME` for every variable.
AWS is a moto server on 127.0.0.1 (the container shares the host network); GitHub's API is a
closed local port, so the PR comment fails with a warning and nothing leaves the machine.

Needs root and the Debian packages podman, buildah, runc and debootstrap; skipped without them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from testkit import container
from testkit.events import pr_event
from testkit.fake_aws import Account
from testkit.real_rds import held
from testkit.runner import Job, Result, Step

# Run by `make test` (pytest -m container), on one xdist worker: its tests share the image.
pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]

if missing := container.missing_tools():
    pytest.skip(
        f"container test needs {', '.join(container.TOOLS)}; missing: {', '.join(missing)} "
        f"(apt-get install -y {' '.join(container.TOOLS)})",
        allow_module_level=True,
    )
if os.geteuid() != 0:
    pytest.skip(
        "container test needs root (rootful podman and buildah, debootstrap)", allow_module_level=True
    )

CLONE = "prod-pr-7"
MAX_IMAGE_BYTES = 200 * 1000 * 1000


@pytest.fixture(scope="module")
def image() -> container.Built:
    """The image, built once per module (each build step is cached under build/container/)."""
    return container.build()


def image_step(
    job: Job, aws: Account, event: Mapping[str, Any], inputs: Mapping[str, str] | None = None
) -> Step:
    """The runner's step: GitHub's API is a closed port, so the PR comment fails with a warning."""
    step = job.step(
        {"source-cluster": "prod", "poll-interval": "1", **(inputs or {})},
        event,
        env={"AWS_ENDPOINT_URL": aws.url},
    )
    assert step.env_inside()["INPUT_SOURCE-CLUSTER"] == "prod"
    return step


def run_image(tmp_path: Path, aws: Account, event: Mapping[str, Any]) -> Result:
    """One workflow step: the runner's directories, event, variables, then `podman run`."""
    step = image_step(Job(tmp_path / "job"), aws, event)
    proc = container.run_container(step, timeout=300)
    return step.result(proc.returncode, proc.stdout, proc.stderr)


def ok(run: Result) -> None:
    log = run.log + run.stderr
    assert run.code == 0, log
    assert "Traceback" not in log, log
    assert "::error" not in log, log
    for line in log.splitlines():
        if line.startswith("::warning"):
            assert "PR comment not updated" in line, line


def test_image_is_small_and_its_size_is_recorded(image: container.Built) -> None:
    assert container.SIZE_FILE.read_text().strip() == str(image.size)
    assert image.size < MAX_IMAGE_BYTES, f"image is {image.size / 1e6:.1f} MB"


def test_labeled_pr_gets_a_clone_and_closing_it_tears_the_clone_down(
    image: container.Built, aws: Account, tmp_path: Path
) -> None:
    clone = run_image(tmp_path / "clone", aws, pr_event("labeled", label="clone-db"))
    ok(clone)
    out = clone.outputs
    assert (out["action"], out["cluster-id"], out["status"]) == ("clone", CLONE, "available")
    assert aws.cluster_ids() == sorted(["prod", CLONE])
    (created,) = aws.rds.describe_db_clusters(DBClusterIdentifier=CLONE)["DBClusters"]
    assert out["endpoint"] == created["Endpoint"] and out["endpoint"]
    assert f"### Aurora clone ready: `{CLONE}`\n\n| | |\n|---|---|\n" in clone.summary
    assert f"| Endpoint | `{out['endpoint']}` |" in clone.summary

    teardown = run_image(tmp_path / "teardown", aws, pr_event("closed"))
    ok(teardown)
    out = teardown.outputs
    assert (out["action"], out["cluster-id"], out["status"]) == ("teardown", CLONE, "deleted")
    assert aws.cluster_ids() == ["prod"]
    assert f"### Aurora clone deleted: `{CLONE}`\n\n| | |\n|---|---|\n" in teardown.summary
    assert "| Status | deleted |" in teardown.summary


def test_a_cancelled_job_stops_the_container_at_once_with_what_exists(
    image: container.Built, aws: Account, tmp_path: Path
) -> None:
    """The runner cancels a job with `docker kill -s INT` (SIGTERM 7.5 s later, then a kill). Our
    entry point is PID 1 in the container, which the kernel shields from any signal it has no
    handler for: the run must handle SIGINT itself, and end well before the SIGTERM."""
    step = image_step(
        Job(tmp_path / "job"),
        aws,
        pr_event("labeled", label="clone-db"),
        {"poll-interval": "3600", "timeout-minutes": "120"},
    )
    name = f"aurora-clone-cancel-{os.getpid()}"
    lines: list[str] = []
    with held(CLONE, "creating"):  # the clone stays `creating`: the run sleeps an hour between looks
        proc = container.start_container(step, name)
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if f"cluster {CLONE}: creating" in line:
                container.signal_container(name, "INT")
                break
        rest, _ = proc.communicate(timeout=60)  # an hour's sleep, unless SIGINT ended it
    log = "".join(lines) + rest

    assert proc.returncode == 1, log
    assert "Traceback" not in log, log
    (error,) = [line for line in log.splitlines() if line.startswith("::error")]
    assert error.startswith(
        "::error title=aurora-clone%3A cancelled::The run was cancelled (SIGINT) while waiting"
    )
    assert f"This run created the clone '{CLONE}'; added the DB instance '{CLONE}-1'" in error
    assert "### :x: Cancelled" in step.summary.read_text()
    assert CLONE in aws.cluster_ids()

    teardown = run_image(tmp_path / "teardown", aws, pr_event("closed"))
    ok(teardown)
    assert aws.cluster_ids() == ["prod"]


def test_the_image_carries_the_iam_examples_an_access_denied_error_quotes(
    image: container.Built, tmp_path: Path
) -> None:
    command = container.run_command(Job(tmp_path / "job"), [])
    quote = (
        "import sys; sys.path.insert(0, '/action'); from clone_action.aws import iam; "
        "print(iam.statement('rds:DeleteDBCluster')['Sid'])"
    )
    command[-1:-1] = ["--entrypoint", "python"]
    proc = subprocess.run(
        [*command, "-c", quote],
        env={**os.environ, "PATH": container.tool_path()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert proc.stdout.strip() == "DeleteOnlyThisRepositorysClones", proc.stderr
