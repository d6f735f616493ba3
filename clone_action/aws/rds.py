"""One gateway over boto3's RDS client: describe, clone, wait, delete.

Each public method's docstring names the IAM actions it needs; tests hold examples/iam/ to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from .. import __version__
from ..clock import Budget, Clock
from ..errors import AwsError, CloneStateError, WaitTimeout

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

Resource = dict[str, Any]
T = TypeVar("T")

IAM_DOC = "examples/iam/ in the action's repository has a policy with every action it needs"
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}
QUOTA = {
    "DBClusterQuotaExceededFault",
    "InstanceQuotaExceeded",
    "StorageQuotaExceeded",
    "DBInstanceQuotaExceeded",
}
BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
READY = "available"
BUSY_FAULTS = {"InvalidDBClusterStateFault", "InvalidDBInstanceStateFault"}


class Busy(Exception):
    """RDS refused a change because the cluster or instance is in a transitional state."""


def is_terminal(status: str) -> bool:
    """A state a cluster or instance does not leave by itself: waiting longer cannot help."""
    return (
        status in ("failed", "deleting", "migration-failed", "storage-full")
        or status.startswith("incompatible-")
        or status.startswith("inaccessible-encryption-credentials")
    )


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


def translate(exc: Exception, action: str, region: str, credentials_hint: str = "") -> AwsError:
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
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        return AwsError(
            f"AWS denied {action} ({code}): {message}",
            cause="The IAM policy of the role this job assumes does not allow this action.",
            fix=f"Allow {action} in the IAM policy of the role this job assumes; {IAM_DOC}.",
            snippet=json.dumps(statement, indent=2)
            + "\n// narrow Resource and add the tag conditions of examples/iam/",
            lang="json",
        )
    if code in QUOTA:
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
        self, client: RDSClient, clock: Clock, log: Callable[[str], None], credentials_hint: str = ""
    ) -> None:
        self.client = client
        self.clock = clock
        self.log = log
        self.credentials_hint = credentials_hint

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def _call(self, action: str, passthrough: Iterable[str] = (), **kwargs: Any) -> Any:
        """Call client.<action>; errors whose code is in passthrough reach the caller as they are."""
        try:
            return getattr(self.client, xform_name(action))(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in set(passthrough):
                raise
            raise translate(exc, f"rds:{action}", self.region) from exc
        except BotoCoreError as exc:
            raise translate(exc, f"rds:{action}", self.region, self.credentials_hint) from exc

    def describe_cluster(self, cluster_id: str) -> Resource | None:
        """The cluster, or None when there is none. IAM: rds:DescribeDBClusters."""
        try:
            response = self._call(
                "DescribeDBClusters", passthrough={"DBClusterNotFoundFault"}, DBClusterIdentifier=cluster_id
            )
        except ClientError:
            return None
        clusters = response.get("DBClusters") or []
        return dict(clusters[0]) if clusters else None

    def describe_instance(self, instance_id: str) -> Resource | None:
        """The DB instance, or None when there is none. IAM: rds:DescribeDBInstances."""
        try:
            response = self._call(
                "DescribeDBInstances",
                passthrough={"DBInstanceNotFound", "DBInstanceNotFoundFault"},
                DBInstanceIdentifier=instance_id,
            )
        except ClientError:
            return None
        instances = response.get("DBInstances") or []
        return dict(instances[0]) if instances else None

    def list_clusters(self) -> list[Resource]:
        """Every cluster in the region, a page of up to 100 per call (tags come in TagList).

        IAM: rds:DescribeDBClusters.
        """
        clusters: list[Resource] = []
        marker: str | None = None
        while True:
            page = self._call("DescribeDBClusters", MaxRecords=100, **({"Marker": marker} if marker else {}))
            clusters.extend(dict(c) for c in page.get("DBClusters") or [])
            marker = page.get("Marker")
            if not marker:
                return clusters

    def retag(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        """Set tags on the clone or its instance (the expiry of a rerun).

        Call only after the ownership check. IAM: rds:AddTagsToResource.
        """
        self._call("AddTagsToResource", ResourceName=resource_arn, Tags=tags)

    def cluster_instances(self, cluster_id: str) -> list[Resource]:
        """The DB instances of one cluster, in one call. IAM: rds:DescribeDBInstances."""
        instances: list[Resource] = []
        marker: str | None = None
        while True:
            page = self._call(
                "DescribeDBInstances",
                Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}],
                **({"Marker": marker} if marker else {}),
            )
            instances.extend(dict(i) for i in page.get("DBInstances") or [])
            marker = page.get("Marker")
            if not marker:
                return instances

    def restore_clone(
        self,
        *,
        source: str,
        clone_id: str,
        tags: list[dict[str, str]],
        subnet_group: str,
        security_groups: list[str],
        parameter_group: str,
        iam_auth: bool,
        scaling: Mapping[str, float | int] | None,
    ) -> Resource | None:
        """Start a copy-on-write clone; None when a cluster with that id appeared meanwhile.

        IAM: rds:RestoreDBClusterToPointInTime, rds:AddTagsToResource.
        """
        kwargs: dict[str, Any] = {
            "SourceDBClusterIdentifier": source,
            "DBClusterIdentifier": clone_id,
            "RestoreType": "copy-on-write",
            "UseLatestRestorableTime": True,
            "DeletionProtection": False,
            "Tags": tags,
            "EnableIAMDatabaseAuthentication": iam_auth,
        }
        if subnet_group:
            kwargs["DBSubnetGroupName"] = subnet_group
        if security_groups:
            kwargs["VpcSecurityGroupIds"] = security_groups
        if parameter_group:
            kwargs["DBClusterParameterGroupName"] = parameter_group
        if scaling:
            kwargs["ServerlessV2ScalingConfiguration"] = dict(scaling)
        try:
            response = self._call(
                "RestoreDBClusterToPointInTime", passthrough={"DBClusterAlreadyExistsFault"}, **kwargs
            )
        except ClientError:
            return None
        return dict(response["DBCluster"])

    def create_instance(
        self,
        *,
        cluster: Mapping[str, Any],
        instance_id: str,
        instance_class: str,
        publicly_accessible: bool,
        tags: list[dict[str, str]],
    ) -> Resource:
        """Add the clone's DB instance; Busy while RDS says the cluster is not ready for it.

        IAM: rds:CreateDBInstance, rds:AddTagsToResource.
        """
        try:
            response = self._call(
                "CreateDBInstance",
                passthrough=BUSY_FAULTS,
                DBInstanceIdentifier=instance_id,
                DBClusterIdentifier=cluster["DBClusterIdentifier"],
                DBInstanceClass=instance_class,
                Engine=cluster["Engine"],
                PubliclyAccessible=publicly_accessible,
                Tags=tags,
            )
        except ClientError as exc:
            raise Busy(exc.response["Error"].get("Message", "")) from exc
        return dict(response["DBInstance"])

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
            self.clock.sleep(min(budget.poll, budget.deadline - now))

    def wait_until_available(self, cluster_id: str, budget: Budget) -> tuple[Resource, list[Resource]]:
        """Poll until the cluster and all its instances are available; fail fast on a terminal state.

        IAM: rds:DescribeDBClusters, rds:DescribeDBInstances.
        """
        seen: list[tuple[Resource, list[Resource]]] = []

        def look() -> tuple[str, bool]:
            cluster = self.describe_cluster(cluster_id)
            if cluster is None:
                raise CloneStateError(
                    f"The clone '{cluster_id}' disappeared while the action waited for it.",
                    fix="Another run (a teardown or purge) may have deleted it; re-run to clone again.",
                )
            instances = self.cluster_instances(cluster_id)
            seen.append((cluster, instances))
            states = [("cluster", cluster_id, str(cluster.get("Status", "")))] + [
                ("instance", str(i["DBInstanceIdentifier"]), str(i.get("DBInstanceStatus", "")))
                for i in instances
            ]
            for kind, ident, status in states:
                if is_terminal(status):
                    raise CloneStateError(
                        f"The clone's {kind} '{ident}' is '{status}', a state it will not leave by itself.",
                        fix=(
                            "Look at the cluster's events in the RDS console. Delete the clone "
                            "(remove the label, or mode: teardown) and label the PR again."
                        ),
                    )
            ready = bool(instances) and all(status == READY for _, _, status in states)
            return "; ".join(f"{kind} {ident}: {status}" for kind, ident, status in states), ready

        def timeout(line: str) -> WaitTimeout:
            return WaitTimeout(
                f"The clone '{cluster_id}' was not available after timeout-minutes: {budget.timeout_minutes} "
                f"({line}).",
                fix=(
                    "The clone is still being created and is kept: re-run the job to go on "
                    "waiting (it is reused), or raise timeout-minutes. Large clusters can take "
                    "20 minutes or more."
                ),
            )

        self._poll(look, budget, timeout)
        return seen[-1]

    def manage_master_password(self, cluster_id: str) -> None:
        """Give the clone its own master password, kept by RDS in Secrets Manager.

        Call only after the ownership check on a fresh describe (never on the source).
        IAM: rds:ModifyDBCluster, secretsmanager:CreateSecret, secretsmanager:TagResource.
        """
        self._call(
            "ModifyDBCluster",
            DBClusterIdentifier=cluster_id,
            ManageMasterUserPassword=True,
            ApplyImmediately=True,
        )

    def delete_instance(self, instance_id: str) -> None:
        """Start deleting a DB instance (gone already is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBInstance.
        """
        try:
            self._call(
                "DeleteDBInstance",
                passthrough=BUSY_FAULTS | {"DBInstanceNotFound", "DBInstanceNotFoundFault"},
                DBInstanceIdentifier=instance_id,
                SkipFinalSnapshot=True,
            )
        except ClientError as exc:
            if exc.response["Error"].get("Code") in BUSY_FAULTS:
                raise Busy(exc.response["Error"].get("Message", "")) from exc

    def delete_cluster(self, cluster_id: str) -> None:
        """Start deleting a DB cluster, no final snapshot (gone is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBCluster.
        """
        try:
            self._call(
                "DeleteDBCluster",
                passthrough=BUSY_FAULTS | {"DBClusterNotFoundFault"},
                DBClusterIdentifier=cluster_id,
                SkipFinalSnapshot=True,
            )
        except ClientError as exc:
            if exc.response["Error"].get("Code") in BUSY_FAULTS:
                raise Busy(exc.response["Error"].get("Message", "")) from exc

    def retry_while_busy(
        self, attempt: Callable[[], T], *, what: str, budget: Budget, backoff: bool = True
    ) -> T:
        """attempt() until RDS takes it: every poll-interval, or backing off up to a minute."""
        delay = budget.poll
        told = False
        while True:
            try:
                return attempt()
            except Busy as exc:
                if self.clock.monotonic() + delay > budget.deadline:
                    raise WaitTimeout(
                        f"RDS kept refusing to {what} until timeout-minutes ran out: {exc}",
                        fix="Re-run the job: it picks up where this run stopped. Raise timeout-minutes "
                        "if this happens often.",
                    ) from exc
                if not told:
                    pace = "with backoff" if backoff else f"every {budget.poll:g}s"
                    self.log(f"RDS cannot {what} yet ({exc}); trying again {pace}")
                    told = True
                self.clock.sleep(delay)
                if backoff:
                    delay = min(delay * 2, max(budget.poll, 60))

    def describe_clusters(self, cluster_ids: list[str]) -> dict[str, Resource]:
        """The clusters that still exist among these, 100 ids a call. IAM: rds:DescribeDBClusters."""
        found: dict[str, Resource] = {}
        for i in range(0, len(cluster_ids), 100):
            chunk = cluster_ids[i : i + 100]
            marker: str | None = None
            while True:
                page = self._call(
                    "DescribeDBClusters",
                    Filters=[{"Name": "db-cluster-id", "Values": chunk}],
                    **({"Marker": marker} if marker else {}),
                )
                found.update({str(c["DBClusterIdentifier"]): dict(c) for c in page.get("DBClusters") or []})
                marker = page.get("Marker")
                if not marker:
                    break
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
