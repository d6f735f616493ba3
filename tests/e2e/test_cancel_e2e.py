"""A cancelled job, as the runner cancels it: SIGINT to entrypoint.py while it waits between polls."""

from __future__ import annotations

import signal

import pytest

from testkit.events import pr_event
from testkit.fake_aws import Account
from testkit.real_rds import held
from testkit.runner import RunAction

# One xdist worker runs every e2e module: the moto server they share starts once (~3 s).
pytestmark = pytest.mark.xdist_group("moto-server")


CLONE = "prod-pr-7"


def test_sigint_during_the_wait_ends_the_run_at_once_with_what_exists_and_a_rerun_finishes(
    aws: Account, run_action: RunAction
) -> None:
    # The clone stays `creating`, and the run would sleep an hour between two looks.
    with held(CLONE, "creating"):
        run = run_action(
            {"poll-interval": "3600", "timeout-minutes": "120"},
            event=pr_event("labeled", label="clone-db"),
            interrupt=(f"cluster {CLONE}: creating", signal.SIGINT),
        )

    assert run.code == 1, run.log + run.stderr
    assert "Traceback" not in run.log + run.stderr and "KeyboardInterrupt" not in run.stderr
    (error,) = run.commands("error")
    assert error.startswith(
        "::error title=aurora-clone%3A cancelled::The run was cancelled (SIGINT) while waiting 3600s "
        f"between status checks (cluster {CLONE}: creating; instance {CLONE}-1: available). This run "
        f"created the clone '{CLONE}'; added the DB instance '{CLONE}-1'; everything it created is "
        "tagged aurora-clone/expires-at="
    )
    assert "How to finish: Re-run the job to finish: it reuses 'prod-pr-7'." in run.log
    assert "### :x: Cancelled" in run.summary
    tags = aws.tags(aws.cluster(CLONE)["DBClusterArn"])
    assert tags["aurora-clone/managed"] == "true" and tags["aurora-clone/expires-at"]

    rerun = run_action(event=pr_event("labeled", label="clone-db"))
    assert rerun.code == 0, rerun.log
    assert (rerun.outputs["status"], rerun.outputs["created"]) == ("available", "false")
    assert [i["DBInstanceIdentifier"] for i in aws.instances(CLONE)] == [f"{CLONE}-1"]
