"""One gateway over boto3's RDS client: describe, clone, wait, delete.

Each public method's docstring names the IAM actions it needs; tests hold examples/iam/ to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from .. import __version__
from ..cancel import Ledger
from ..clock import Budget, Clock
from ..errors import CLONE_AGAIN, DELETED_MEANWHILE, AccessDenied, AwsError, CloneStateError, WaitTimeout
from . import iam
from .states import DELETING, READY, explain, is_transient, settles

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

Resource = dict[str, Any]
T = TypeVar("T")

IAM_DOC = "examples/iam/ in the action's repository has a policy with every action it needs"

# RDS faults are caught as the client's modelled exceptions (client.exceptions.<Shape>, typed by
# the boto3 stubs): a shape's name is not always its code on the wire (InvalidDBInstanceStateFault
# is sent as InvalidDBInstanceState), and botocore maps the wire code to the class.
# Codes outside the RDS service model: AWS's common errors
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html), and the ones
# RDS sends in practice (AccessDenied, with HTTP 403, for an IAM denial; Throttling).
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "NotAuthorized"})
BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
    }
)
THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)

Handler = Callable[[ClientError], Any]
Handlers = Mapping[type[Exception], Handler]


class Busy(Exception):
    """RDS refused a change while the cluster or instance named is in a state it does not allow."""

    def __init__(self, message: str, kind: str, ident: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.ident = ident


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def _none(_: ClientError) -> None:
    return None


def _busy(kind: str, ident: str) -> Handler:
    def handler(exc: ClientError) -> Any:
        raise Busy(_message(exc), kind, ident) from exc

    return handler


def make_client(region: str = "") -> RDSClient:
    """The run's one RDS client: standard retries (throttling is retried), AWS_ENDPOINT_URL honoured."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 8},
        user_agent_extra=f"aurora-clone-action/{__version__}",
    )
    try:
        return boto3.client("rds", region_name=region or None, config=config)
    except NoRegionError as exc:
        raise AwsError(
            "No AWS region is configured for this step.",
            fix="Set aws-region in aws-actions/configure-aws-credentials, or AWS_REGION in env:.",
        ) from exc


CREDENTIALS_YAML = """permissions:
  id-token: write          # lets configure-aws-credentials use GitHub's OIDC token
  contents: read
  pull-requests: write
steps:
  - uses: aws-actions/configure-aws-credentials@v6
    with:
      role-to-assume: arn:aws:iam::123456789012:role/aurora-clone-action
      aws-region: eu-west-1
  - uses: org/aurora-clone-action@v1"""

PURGE_YAML = """on:
  schedule:
    - cron: "17 3 * * *"   # nightly
jobs:
  purge:
    runs-on: ubuntu-latest
    permissions: {id-token: write, contents: read, pull-requests: read}
    steps:
      - uses: aws-actions/configure-aws-credentials@v6
        with: {role-to-assume: "arn:aws:iam::123456789012:role/aurora-clone-action", aws-region: eu-west-1}
      - uses: org/aurora-clone-action@v1
        with: {mode: purge}"""


def _access_denied(called: str, code: str, message: str, policy: str) -> AccessDenied:
    """The action IAM refused (named in its message, else the one called) and the example's statement."""
    denied = iam.denied_action(message, called)
    example = iam.statement(denied, policy)
    statement = example or iam.fallback(denied)
    via = f" (for {called})" if denied != called else ""
    where = (
        f"statement {example['Sid']} of examples/iam/{policy}, which allows it only on the action's own "
        "resources"
        if example and example.get("Sid")
        else IAM_DOC
    )
    return AccessDenied(
        f"AWS denied {denied}{via} ({code}): {message}",
        cause=f"The IAM policy of the role this job assumes does not allow {denied}.",
        fix=f"Allow {denied} in the IAM policy of the role this job assumes, as {where} does. Replace "
        "the account id, region, repository and source names with yours.",
        snippet=json.dumps(statement, indent=2),
        lang="json",
    )


def translate(
    exc: Exception,
    action: str,
    region: str,
    credentials_hint: str = "",
    *,
    quota: bool = False,
    policy: str = "clone-teardown-policy.json",
) -> AwsError:
    """An AWS failure as a message a person can act on: what failed, the likely cause, the fix."""
    if isinstance(exc, NoCredentialsError):
        return AwsError(
            f"No AWS credentials were found for {action}.",
            cause=credentials_hint
            or "No earlier step in this job configured AWS credentials, or it ran without an OIDC token.",
            fix=(
                "Add a step `uses: aws-actions/configure-aws-credentials@v6` with `role-to-assume` "
                "before this one, and `permissions: id-token: write` in the job."
            ),
            snippet=CREDENTIALS_YAML,
        )
    if not isinstance(exc, ClientError):
        return AwsError(f"{action} could not reach AWS in {region}: {exc}", fix="Re-run the job.")
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in ACCESS_DENIED:
        return _access_denied(action, code, message, policy)
    if quota:
        return AwsError(
            f"An AWS quota stopped {action} in {region} ({code}): {message}",
            cause="Too many clusters or instances in this account and region (40 clusters by default).",
            fix=(
                "Delete clones that are no longer needed: run this action with mode: purge "
                "(or the nightly purge workflow), or ask AWS for a higher quota."
            ),
            snippet=PURGE_YAML,
        )
    if code in BAD_CREDENTIALS:
        return AwsError(
            f"AWS rejected the credentials for {action} ({code}): {message}",
            cause="The credentials expired (a long job), or belong to another account or partition.",
            fix="Check the role in aws-actions/configure-aws-credentials and re-run the job.",
            snippet=CREDENTIALS_YAML,
        )
    if code in THROTTLED:
        return AwsError(
            f"AWS kept throttling {action} after retries ({code}): {message}",
            cause="Other tools in the account are calling the RDS API heavily.",
            fix="Re-run the job later; other tools in the account may be calling RDS heavily.",
        )
    return AwsError(f"{action} failed ({code}): {message}")


class RdsGateway:
    """Every RDS call the action makes, with errors translated where they are caught."""

    def __init__(
        self,
        client: RDSClient,
        clock: Clock,
        log: Callable[[str], None],
        credentials_hint: str = "",
        ledger: Ledger | None = None,
    ) -> None:
        self.client = client
        self.ledger = ledger or Ledger()
        self.faults = client.exceptions
        self.clock = clock
        self.log = log
        self.credentials_hint = credentials_hint
        # Called before every RDS call: purge paces itself against the account's shared API rate.
        self.pace: Callable[[], None] | None = None
        # The example policy an AccessDenied error quotes (purge runs under its own role).
        self.policy = iam.CLONE_POLICY

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def _call(self, action: str, on: Handlers | None = None, **kwargs: Any) -> Any:
        """Call client.<action>: the one place RDS errors are caught.

        A modelled fault in `on` (self.faults.<Shape>) goes to its handler; any other failure
        becomes an AwsError a person can act on.
        """
        if self.pace is not None:
            self.pace()
        change = None
        if not action.startswith("Describe"):
            target = kwargs.get("DBInstanceIdentifier") or kwargs.get("DBClusterIdentifier")
            change = self.ledger.asked(action, str(target or kwargs.get("ResourceName", "")))
        self.ledger.doing = f"waiting for RDS to answer {action}"
        try:
            answer = getattr(self.client, xform_name(action))(**kwargs)
            if change is not None:
                change.answered = True
            self.ledger.doing = ""
            return answer
        except ClientError as exc:
            self.ledger.doing = ""
            if change is not None:
                self.ledger.changes.remove(change)  # RDS answered with a refusal: nothing changed
            for fault, handler in (on or {}).items():
                if isinstance(exc, fault):
                    return handler(exc)
            quota = (
                self.faults.DBClusterQuotaExceededFault,
                self.faults.InstanceQuotaExceededFault,
                self.faults.StorageQuotaExceededFault,
            )
            raise translate(
                exc, f"rds:{action}", self.region, quota=isinstance(exc, quota), policy=self.policy
            ) from exc
        except BotoCoreError as exc:
            self.ledger.doing = ""
            raise translate(exc, f"rds:{action}", self.region, self.credentials_hint) from exc

    def _pages(self, action: str, key: str, **kwargs: Any) -> list[Resource]:
        """Every item of a paginated describe (RDS answers at most 100 a call)."""
        items: list[Resource] = []
        marker: str | None = None
        while True:
            params: dict[str, Any] = {**kwargs, **({"Marker": marker} if marker else {})}
            page = self._call(action, **params)
            items.extend(dict(item) for item in page.get(key) or [])
            marker = page.get("Marker")
            if not marker:
                return items

    def describe_cluster(self, cluster_id: str) -> Resource | None:
        """The cluster, or None when there is none. IAM: rds:DescribeDBClusters."""
        response = self._call(
            "DescribeDBClusters",
            on={self.faults.DBClusterNotFoundFault: _none},
            DBClusterIdentifier=cluster_id,
        )
        clusters = (response or {}).get("DBClusters") or []
        return dict(clusters[0]) if clusters else None

    def describe_instance(self, instance_id: str) -> Resource | None:
        """The DB instance, or None when there is none. IAM: rds:DescribeDBInstances."""
        response = self._call(
            "DescribeDBInstances",
            on={self.faults.DBInstanceNotFoundFault: _none},
            DBInstanceIdentifier=instance_id,
        )
        instances = (response or {}).get("DBInstances") or []
        return dict(instances[0]) if instances else None

    def list_clusters(self) -> list[Resource]:
        """Every cluster in the region, a page of up to 100 per call (tags come in TagList).

        IAM: rds:DescribeDBClusters.
        """
        return self._pages("DescribeDBClusters", "DBClusters", MaxRecords=100)

    def clone_group_size(self, clone_group_id: str) -> int:
        """How many clusters share this copy-on-write clone group (the source among them).

        IAM: rds:DescribeDBClusters.
        """
        return len(
            self._pages(
                "DescribeDBClusters",
                "DBClusters",
                Filters=[{"Name": "clone-group-id", "Values": [clone_group_id]}],
            )
        )

    def engine_version(self, engine: str, version: str) -> Resource | None:
        """What RDS says of this engine version (ServerlessV2FeaturesSupport among it), or None.

        IAM: rds:DescribeDBEngineVersions.
        """
        response = self._call("DescribeDBEngineVersions", Engine=engine, EngineVersion=version)
        versions = response.get("DBEngineVersions") or []
        return dict(versions[0]) if versions else None

    def retag(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        """Set tags on the clone or its instance (the expiry of a rerun).

        Call only after the ownership check. IAM: rds:AddTagsToResource.
        """
        self._call("AddTagsToResource", ResourceName=resource_arn, Tags=tags)

    def cluster_instances(self, cluster_id: str) -> list[Resource]:
        """The DB instances of one cluster, in one call. IAM: rds:DescribeDBInstances."""
        return self._pages(
            "DescribeDBInstances", "DBInstances", Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}]
        )

    def restore_clone(
        self, *, source: str, clone_id: str, tags: list[dict[str, str]], settings: Mapping[str, Any]
    ) -> Resource | None:
        """Start a copy-on-write clone; None when a cluster with that id appeared meanwhile.

        `settings` are the restore's optional parameters (network, port, storage...); the safety
        ones are fixed here. IAM: rds:RestoreDBClusterToPointInTime, rds:AddTagsToResource.
        """
        response = self._call(
            "RestoreDBClusterToPointInTime",
            on={self.faults.DBClusterAlreadyExistsFault: _none},
            **settings,
            SourceDBClusterIdentifier=source,
            DBClusterIdentifier=clone_id,
            RestoreType="copy-on-write",
            UseLatestRestorableTime=True,
            DeletionProtection=False,
            Tags=tags,
        )
        return dict(response["DBCluster"]) if response else None

    def create_instance(
        self,
        *,
        cluster: Mapping[str, Any],
        instance_id: str,
        instance_class: str,
        publicly_accessible: bool,
        tags: list[dict[str, str]],
    ) -> Resource | None:
        """Add the clone's DB instance; None when an instance with that id exists already.

        Busy while RDS says the cluster is not ready for it; CloneStateError when the cluster is
        gone (a teardown deleted it meanwhile). IAM: rds:CreateDBInstance, rds:AddTagsToResource.
        """
        cluster_id = str(cluster["DBClusterIdentifier"])

        def gone(exc: ClientError) -> None:
            raise CloneStateError(
                f"The clone '{cluster_id}' was deleted before its DB instance could be added "
                f"({_message(exc)}).",
                cause=DELETED_MEANWHILE,
                fix=CLONE_AGAIN,
            ) from exc

        response = self._call(
            "CreateDBInstance",
            on={
                self.faults.InvalidDBClusterStateFault: _busy("cluster", cluster_id),
                self.faults.DBInstanceAlreadyExistsFault: _none,
                self.faults.DBClusterNotFoundFault: gone,
            },
            DBInstanceIdentifier=instance_id,
            DBClusterIdentifier=cluster_id,
            DBInstanceClass=instance_class,
            Engine=cluster["Engine"],
            PubliclyAccessible=publicly_accessible,
            Tags=tags,
        )
        return dict(response["DBInstance"]) if response else None

    def set_scaling(self, cluster_id: str, scaling: Mapping[str, float | int]) -> None:
        """Give the clone a Serverless v2 scaling configuration (RDS needs one for db.serverless).

        Call only after the ownership check on a fresh describe. IAM: rds:ModifyDBCluster.
        """
        self._call(
            "ModifyDBCluster",
            on={self.faults.InvalidDBClusterStateFault: _busy("cluster", cluster_id)},
            DBClusterIdentifier=cluster_id,
            ServerlessV2ScalingConfiguration=dict(scaling),
            ApplyImmediately=True,
        )

    def start_cluster(self, cluster_id: str) -> None:
        """Start a stopped clone (RDS deletes no stopped cluster); Busy while it is still stopping.

        Call only after the ownership check on a fresh describe. IAM: rds:StartDBCluster.
        """
        busy = _busy("cluster", cluster_id)
        self._call(
            "StartDBCluster",
            on={self.faults.InvalidDBClusterStateFault: busy, self.faults.InvalidDBInstanceStateFault: busy},
            DBClusterIdentifier=cluster_id,
        )

    def _poll(
        self, look: Callable[[], tuple[str, bool]], budget: Budget, timeout: Callable[[str], WaitTimeout]
    ) -> None:
        """Call look() every poll-interval until it says done: one progress line per change of state."""
        last = ""
        while True:
            line, done = look()
            if line != last:
                self.log(f"{budget.stamp()} {line}")
                last = line
            if done:
                return
            now = self.clock.monotonic()
            if now >= budget.deadline:
                raise timeout(line)
            self.ledger.doing = f"waiting {budget.poll:g}s between status checks ({line})"
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
                        fix="Allow kms:DescribeKey on the aws/secretsmanager key to the role this job "
                        f"assumes ({IAM_DOC}), then delete the clone (remove the label) and label again.",
                    )
                line += f"; secret: {secret_status or 'none yet'}" + ("; changes pending" if pending else "")
                ready = ready and secret_status == "active" and not pending
            return line, ready

        def timeout(line: str) -> WaitTimeout:
            doing = (
                "The clone is still being created"
                if "creating" in line
                else "RDS is still working on the clone, in states that pass by themselves,"
            )
            return WaitTimeout(
                f"The clone '{cluster_id}' was not available after timeout-minutes: {budget.timeout_minutes} "
                f"({line}).",
                fix=(
                    f"{doing} and it is kept: re-run the job to go on waiting (it is reused), or raise "
                    "timeout-minutes. Large clusters can take 20 minutes or more."
                ),
            )

        self._poll(look, budget, timeout)
        return None if gone else seen[-1]

    def manage_master_password(self, cluster_id: str) -> None:
        """Give the clone its own master password, kept by RDS in Secrets Manager.

        Call only after the ownership check on a fresh describe (never on the source).
        IAM: rds:ModifyDBCluster, secretsmanager:CreateSecret, secretsmanager:TagResource, kms:DescribeKey.
        """
        self._call(
            "ModifyDBCluster",
            on={self.faults.InvalidDBClusterStateFault: _busy("cluster", cluster_id)},
            DBClusterIdentifier=cluster_id,
            ManageMasterUserPassword=True,
            ApplyImmediately=True,
        )

    def delete_instance(self, instance_id: str) -> None:
        """Start deleting a DB instance (gone already is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBInstance.
        """
        self._call(
            "DeleteDBInstance",
            on={
                self.faults.InvalidDBInstanceStateFault: _busy("instance", instance_id),
                self.faults.InvalidDBClusterStateFault: _busy("instance", instance_id),
                self.faults.DBInstanceNotFoundFault: _none,
            },
            DBInstanceIdentifier=instance_id,
            SkipFinalSnapshot=True,
        )

    def delete_cluster(self, cluster_id: str) -> None:
        """Start deleting a DB cluster, no final snapshot (gone is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBCluster.
        """
        self._call(
            "DeleteDBCluster",
            on={
                self.faults.InvalidDBClusterStateFault: _busy("cluster", cluster_id),
                self.faults.DBClusterNotFoundFault: _none,
            },
            DBClusterIdentifier=cluster_id,
            SkipFinalSnapshot=True,
        )

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
                        fix="Look at the cluster in the RDS console; if the message names a setting, "
                        "correct it (for the clone: remove the label and label the pull request again).",
                    ) from exc
                if self.clock.monotonic() + delay > budget.deadline:
                    raise WaitTimeout(
                        f"RDS kept refusing to {what} until timeout-minutes ran out ({doing}): {exc}",
                        fix="Re-run the job: it picks up where this run stopped. Raise timeout-minutes "
                        "if this happens often.",
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

    def describe_clusters(self, cluster_ids: list[str]) -> dict[str, Resource]:
        """The clusters that still exist among these, 100 ids a call. IAM: rds:DescribeDBClusters."""
        found: dict[str, Resource] = {}
        for i in range(0, len(cluster_ids), 100):
            chunk = cluster_ids[i : i + 100]
            for cluster in self._pages(
                "DescribeDBClusters", "DBClusters", Filters=[{"Name": "db-cluster-id", "Values": chunk}]
            ):
                found[str(cluster["DBClusterIdentifier"])] = cluster
        return found

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
                fix="RDS goes on deleting it: re-run the job to confirm, or raise timeout-minutes.",
            )

        self._poll(look, budget, timeout)

    def clusters_instances(self, cluster_ids: list[str]) -> list[Resource]:
        """The DB instances of these clusters, 100 cluster ids a filter, paginated.

        One call for many clusters where cluster_instances makes one each. IAM: rds:DescribeDBInstances.
        """
        found: list[Resource] = []
        for i in range(0, len(cluster_ids), 100):
            chunk = cluster_ids[i : i + 100]
            found.extend(
                self._pages(
                    "DescribeDBInstances",
                    "DBInstances",
                    Filters=[{"Name": "db-cluster-id", "Values": chunk}],
                )
            )
        return found


def _secret_state(cluster: Mapping[str, Any]) -> tuple[str, bool]:
    """The status of the cluster's managed master user secret, and whether a change is pending."""
    status = str((cluster.get("MasterUserSecret") or {}).get("SecretStatus") or "")
    return status, bool(cluster.get("PendingModifiedValues"))
