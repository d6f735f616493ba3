"""Property tests: the tag rule against RDS's own regex, and waiting over any sequence of states."""

from __future__ import annotations

from typing import Any

import botocore.session
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from clone_action.aws.rds import RdsGateway
from clone_action.aws.states import READY, is_transient
from clone_action.aws.tags import tag_problem
from clone_action.clock import Budget
from clone_action.errors import CloneStateError, WaitTimeout
from testkit.clock import FakeClock
from testkit.rds_model import CLUSTER_STATES, INSTANCE_STATES


def rds_tag_regex() -> Any:
    """The Java regex the RDS service model gives for a tag (shape Tag), compiled as it is written."""
    doc = (
        botocore.session.get_session().get_service_model("rds").shape_for("Tag").members["Key"].documentation
    )
    java = doc.split('(Java regex: "')[1].split('")')[0].replace("\\\\", "\\")
    return regex.compile(java)


TAG = rds_tag_regex()
TEXT = st.text(
    alphabet=st.one_of(
        # Characters this Python's Unicode database assigns (the regex module may know newer ones).
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cn"]),
        st.sampled_from("_.:/=+-@ aArRwWsS"),
    ),
    max_size=300,
)
PREFIXED = st.builds(
    lambda p, t: p + t, st.sampled_from(["aws:", "AWS:", "rds:", "Rds:", "aurora-clone/"]), TEXT
)


@settings(max_examples=400, deadline=None)
@given(key=st.one_of(TEXT, PREFIXED).filter(bool), value=st.one_of(TEXT, PREFIXED))
def test_a_tag_is_accepted_exactly_when_rds_would_accept_it(key: str, value: str) -> None:
    rds_accepts = (
        1 <= len(key) <= 128
        and len(value) <= 256
        and all(TAG.fullmatch(text) for text in (key, value))
        and not any(text.lower().startswith(("aws:", "rds:")) for text in (key, value))
        and not key.lower().startswith("aurora-clone/")
    )
    assert (tag_problem(key, value) is None) == rds_accepts


class Gateway(RdsGateway):
    """The gateway's wait, with describes answered from a scripted sequence of states."""

    def __init__(self, sequence: list[tuple[str, str]], clock: FakeClock) -> None:
        # A real client (for its modelled exceptions); every describe is answered below, so it
        # never sends a request.
        super().__init__(client=CLIENT, clock=clock, log=lambda _: None)
        self.sequence = sequence
        self.looks = 0

    def describe_cluster(self, cluster_id: str) -> dict[str, Any] | None:
        cluster, _ = self.sequence[min(self.looks, len(self.sequence) - 1)]
        self.looks += 1
        return {"DBClusterIdentifier": cluster_id, "Status": cluster}

    def cluster_instances(self, cluster_id: str) -> list[dict[str, Any]]:
        _, instance = self.sequence[min(self.looks - 1, len(self.sequence) - 1)]
        return [{"DBInstanceIdentifier": f"{cluster_id}-1", "DBInstanceStatus": instance}]


CLIENT = botocore.session.get_session().create_client(
    "rds", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
)
STATES = st.tuples(st.sampled_from(sorted(CLUSTER_STATES)), st.sampled_from(sorted(INSTANCE_STATES)))


@settings(max_examples=300, deadline=None)
@given(
    sequence=st.lists(STATES, min_size=1, max_size=12), poll=st.integers(1, 120), minutes=st.integers(1, 30)
)
def test_waiting_ends_at_the_first_look_that_decides(
    sequence: list[tuple[str, str]], poll: int, minutes: int
) -> None:
    """Ready at the first all-available look, failed at the first look with a state that does not
    pass, else still waiting; never a sleep after a deciding look, never past timeout-minutes."""
    clock = FakeClock()
    gateway = Gateway(sequence, clock)
    budget = Budget.start(clock, poll=poll, timeout_minutes=minutes)
    deciding = next(
        (
            i
            for i, (cluster, instance) in enumerate(sequence)
            if (cluster, instance) == (READY, READY)
            or any(s != READY and not is_transient(s) for s in (cluster, instance))
        ),
        None,
    )
    try:
        gateway.wait_until_available("prod-pr-7", budget)
        outcome = "ready"
    except CloneStateError:
        outcome = "failed"
    except WaitTimeout:
        outcome = "timeout"
    assert sum(clock.sleeps) <= minutes * 60
    if outcome == "timeout":
        assert deciding is None or deciding >= gateway.looks
        return
    assert deciding is not None and gateway.looks == deciding + 1
    cluster, instance = sequence[deciding]
    assert (outcome == "ready") == ((cluster, instance) == (READY, READY))
    assert len(clock.sleeps) == deciding
