"""Which RDS states the action waits through, and what it says of the others."""

from __future__ import annotations

import pytest

from clone_action.aws.states import TRANSIENT, explain, is_transient, settles
from testkit.rds_model import CLUSTER_STATES, INSTANCE_STATES


def test_every_state_waited_through_is_one_the_aurora_guide_lists() -> None:
    assert TRANSIENT <= CLUSTER_STATES | INSTANCE_STATES


@pytest.mark.parametrize(
    "status",
    ["creating", "backing-up", "modifying", "configuring-enhanced-monitoring", "configuring-log-exports",
     "rebooting", "upgrading", "maintenance", "renaming", "resetting-master-credentials",
     "storage-optimization", "starting"],
)  # fmt: skip
def test_states_that_pass_by_themselves_are_waited_through(status: str) -> None:
    assert is_transient(status)


@pytest.mark.parametrize(
    "status",
    ["cloning-failed", "insufficient-capacity", "restore-error", "stopped", "stopping", "failed",
     "incompatible-network", "inaccessible-encryption-credentials-recoverable", "storage-full",
     "upgrade-failed", "deleting", "some-state-aws-adds-next-year", ""],
)  # fmt: skip
def test_every_other_state_ends_the_wait_an_allow_list_not_a_deny_list(status: str) -> None:
    assert not is_transient(status)


def test_a_refusal_is_worth_retrying_while_the_state_changes_by_itself() -> None:
    assert settles("stopping") and settles("deleting") and settles("creating")
    assert not settles("stopped") and not settles("available") and not settles("cloning-failed")


def test_every_state_the_guide_lists_either_passes_or_is_explained() -> None:
    for status in sorted(CLUSTER_STATES | INSTANCE_STATES):
        if status == "available" or is_transient(status):
            continue
        meaning, fix = explain("cluster", "prod-pr-7", status)
        assert meaning and fix, status
        assert "being created" not in meaning + fix, status


def test_a_teardown_is_not_told_to_delete_the_clone() -> None:
    meaning, fix = explain("instance", "prod-pr-7-1", "incompatible-parameters", deleting=True)
    assert "remove the label" not in fix
    assert meaning == (
        "RDS will not delete it while it is 'incompatible-parameters', and that state does not pass by itself."
    )
