"""The gateway's waits: loops of describes with the injected clock, until RDS is done or refuses.

RdsGateway mixes Waiting in; every call made here is one of the gateway's describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    CLONE_AGAIN,
    DELETED_MEANWHILE,
    REFUSED_FIX,
    SECRET_IMPAIRED_FIX,
    STILL_BUSY_FIX,
    STILL_DELETING_FIX,
    AwsError,
    CloneStateError,
    WaitTimeout,
    not_available_fix,
)
from .states import DELETING, READY, explain, is_transient, settles
from .translate import Busy

if TYPE_CHECKING:
    from ..cancel import Ledger
    from ..clock import Budget, Clock
    from .rds import Resource

T = TypeVar("T")


class Waiting:
    """Waits for the clone to be available or gone, and retries a change RDS refuses while busy."""

    clock: Clock
    log: Callable[[str], None]
    ledger: Ledger

    if TYPE_CHECKING:  # the describes each wait polls, made by RdsGateway

        def describe_cluster(self, cluster_id: str) -> Resource | None: ...

        def describe_instance(self, instance_id: str) -> Resource | None: ...

        def cluster_instances(self, cluster_id: str) -> list[Resource]: ...

        def describe_clusters(self, cluster_ids: list[str]) -> dict[str, Resource]: ...

    def _poll(
        self, look: Callable[[], tuple[str, bool]], budget: Budget, timeout: Callable[[str], WaitTimeout]
    ) -> None:
        """Call look() every poll-interval until it says done: one progress line per change of state."""
        last = ""
        while True:
            line, done = look()
            now = self.clock.monotonic()
            waits = not done and now < budget.deadline
            # Said before the line is logged: a cancel that arrives just after it is reported as this wait.
            self.ledger.doing = f"waiting {budget.poll:g}s between status checks ({line})" if waits else ""
            if line != last:
                self.log(f"{budget.stamp()} {line}")
                last = line
            if done:
                return
            if not waits:
                raise timeout(line)
            self.clock.sleep(min(budget.poll, budget.deadline - now))
            self.ledger.doing = ""

    def wait_until_available(
        self,
        cluster_id: str,
        budget: Budget,
        *,
        need_instance: bool = True,
        secret: bool = False,
        deleting: bool = False,
    ) -> tuple[Resource, list[Resource]] | None:
        """Poll until the cluster and its instances are available; None when the cluster is gone.

        Only states that pass by themselves are waited through; any other ends the wait at once.
        With `secret`, also until the clone's own master user secret is active and no change is
        pending; `deleting`: the wait is for a teardown. IAM: rds:DescribeDBClusters,
        rds:DescribeDBInstances.
        """
        seen: list[tuple[Resource, list[Resource]]] = []
        gone = False

        def look() -> tuple[str, bool]:
            nonlocal gone
            cluster = self.describe_cluster(cluster_id)
            if cluster is None:
                gone = True
                return f"cluster {cluster_id}: gone", True
            instances = self.cluster_instances(cluster_id)
            seen.append((cluster, instances))
            states = [("cluster", cluster_id, str(cluster.get("Status", "")))] + [
                ("instance", str(i["DBInstanceIdentifier"]), str(i.get("DBInstanceStatus", "")))
                for i in instances
            ]
            for kind, ident, status in states:
                if status != READY and not is_transient(status):
                    meaning, fix = explain(kind, ident, status, deleting=deleting)
                    raise CloneStateError(f"The clone's {kind} '{ident}' is '{status}': {meaning}", fix=fix)
            ready = all(status == READY for _, _, status in states) and (bool(instances) or not need_instance)
            line = "; ".join(f"{kind} {ident}: {status}" for kind, ident, status in states)
            if secret:
                secret_status, pending = _secret_state(cluster)
                if secret_status == "impaired":
                    raise CloneStateError(
                        "The clone's own master user secret is 'impaired': RDS cannot reach the secret "
                        "or its KMS key.",
                        fix=SECRET_IMPAIRED_FIX,
                    )
                line += f"; secret: {secret_status or 'none yet'}" + ("; changes pending" if pending else "")
                ready = ready and secret_status == "active" and not pending
            return line, ready

        def timeout(line: str) -> WaitTimeout:
            return WaitTimeout(
                f"The clone '{cluster_id}' was not available after timeout-minutes: {budget.timeout_minutes} "
                f"({line}).",
                fix=not_available_fix(creating="creating" in line),
            )

        self._poll(look, budget, timeout)
        return None if gone else seen[-1]

    def wait_until_gone(self, cluster_ids: list[str], budget: Budget) -> None:
        """Poll until none of the clusters exists any more, in one describe per 100 clusters.

        IAM: rds:DescribeDBClusters.
        """
        remaining = list(cluster_ids)

        def look() -> tuple[str, bool]:
            nonlocal remaining
            existing = self.describe_clusters(remaining)
            line = "; ".join(
                f"cluster {ident}: {existing[ident].get('Status') if ident in existing else 'deleted'}"
                for ident in remaining
            )
            remaining = [ident for ident in remaining if ident in existing]
            return line, not remaining

        def timeout(line: str) -> WaitTimeout:
            return WaitTimeout(
                f"{', '.join(remaining)} still existed after timeout-minutes: "
                f"{budget.timeout_minutes} ({line}).",
                fix=STILL_DELETING_FIX,
            )

        self._poll(look, budget, timeout)

    def _settling(self, busy: Busy, *, what: str, deleting: bool) -> str | None:
        """What RDS is still doing that explains a refusal ("cluster 'x' is 'creating'").

        None when the cluster and its instances are all available: the refusal is permanent.
        A state that will not pass by itself raises CloneStateError naming it.
        """
        states: list[tuple[str, str, str]] = []
        if busy.kind == "instance":
            instance = self.describe_instance(busy.ident)
            if instance is None:
                return f"instance '{busy.ident}' is gone"
            states.append(("instance", busy.ident, str(instance.get("DBInstanceStatus", ""))))
            cluster_id = str(instance.get("DBClusterIdentifier") or "")
            cluster = self.describe_cluster(cluster_id) if cluster_id else None
            if cluster is not None:
                states.append(("cluster", cluster_id, str(cluster.get("Status", ""))))
        else:
            cluster = self.describe_cluster(busy.ident)
            if cluster is None:
                return f"cluster '{busy.ident}' is gone"
            states.append(("cluster", busy.ident, str(cluster.get("Status", ""))))
            states.extend(
                ("instance", str(i["DBInstanceIdentifier"]), str(i.get("DBInstanceStatus", "")))
                for i in self.cluster_instances(busy.ident)
            )
        for kind, ident, status in states:
            if status in DELETING and not deleting:
                raise CloneStateError(
                    f"RDS refused to {what} ({busy}): the {kind} '{ident}' is '{status}'.",
                    cause=DELETED_MEANWHILE,
                    fix=CLONE_AGAIN,
                )
            if settles(status):
                return f"{kind} '{ident}' is '{status}'"
        for kind, ident, status in states:
            if status != READY:
                meaning, fix = explain(kind, ident, status, deleting=deleting)
                raise CloneStateError(
                    f"RDS refused to {what} ({busy}), and the {kind} '{ident}' is '{status}': {meaning}",
                    fix=fix,
                )
        return None

    def retry_while_busy(
        self,
        attempt: Callable[[], T],
        *,
        what: str,
        budget: Budget,
        backoff: bool = True,
        deleting: bool = False,
    ) -> T:
        """attempt() until RDS takes it, while the refusal is due to a state that passes by itself.

        Retries every poll-interval, or backing off up to a minute. A refusal while everything is
        available is permanent, and raised at once with RDS's message.
        """
        delay = budget.poll
        told = False
        while True:
            try:
                return attempt()
            except Busy as exc:
                doing = self._settling(exc, what=what, deleting=deleting)
                if doing is None:
                    raise AwsError(
                        f"RDS refused to {what}: {exc}",
                        cause=f"The {exc.kind} '{exc.ident}' and everything in it is available, so "
                        "waiting would not help.",
                        fix=REFUSED_FIX,
                    ) from exc
                if self.clock.monotonic() + delay > budget.deadline:
                    raise WaitTimeout(
                        f"RDS kept refusing to {what} until timeout-minutes ran out ({doing}): {exc}",
                        fix=STILL_BUSY_FIX,
                    ) from exc
                if not told:
                    pace = "with backoff" if backoff else f"every {budget.poll:g}s"
                    self.log(f"RDS cannot {what} yet ({exc}): {doing}; trying again {pace}")
                    told = True
                self.ledger.doing = f"waiting to try again to {what} ({doing})"
                self.clock.sleep(delay)
                self.ledger.doing = ""
                if backoff:
                    delay = min(delay * 2, max(budget.poll, 60))


def _secret_state(cluster: Mapping[str, Any]) -> tuple[str, bool]:
    """The status of the cluster's managed master user secret, and whether a change is pending."""
    status = str((cluster.get("MasterUserSecret") or {}).get("SecretStatus") or "")
    return status, bool(cluster.get("PendingModifiedValues"))
