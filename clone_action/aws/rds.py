"""One gateway over boto3's RDS client: describe, clone, delete, and the waits of waiting.py.

The only module that calls boto3's RDS client. Each public method's docstring names the IAM
actions it needs; tests hold examples/iam/ to them. Failures become ActionErrors in translate.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from .. import __version__
from ..cancel import Ledger
from ..clock import Clock
from ..errors import CLONE_AGAIN, DELETED_MEANWHILE, NO_REGION_FIX, AwsError, CloneStateError
from . import iam
from .translate import Handlers, busy, message_of, nothing, translate
from .waiting import Waiting

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

Resource = dict[str, Any]


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
        raise AwsError("No AWS region is configured for this step.", fix=NO_REGION_FIX) from exc


class RdsGateway(Waiting):
    """Every RDS call the action makes, errors translated where they are caught; waits from Waiting."""

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
            name = kwargs.get("ResourceName") or kwargs.get("ResourceArn") or ""
            change = self.ledger.asked(action, str(target or name))
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
            purpose = "rename" if "NewDBClusterIdentifier" in kwargs else ""
            raise translate(
                exc,
                f"rds:{action}",
                self.region,
                quota=isinstance(exc, quota),
                policy=self.policy,
                purpose=purpose,
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
        return self._one(
            "DescribeDBClusters", self.faults.DBClusterNotFoundFault, DBClusterIdentifier=cluster_id
        )

    def describe_instance(self, instance_id: str) -> Resource | None:
        """The DB instance, or None when there is none. IAM: rds:DescribeDBInstances."""
        return self._one(
            "DescribeDBInstances", self.faults.DBInstanceNotFoundFault, DBInstanceIdentifier=instance_id
        )

    def _one(self, action: str, missing: type[Exception], **ident: str) -> Resource | None:
        """The one resource a describe by identifier answers (DescribeDBClusters: DBClusters), or None."""
        response = self._call(action, on={missing: nothing}, **ident)
        found = (response or {}).get(action.removeprefix("Describe")) or []
        return dict(found[0]) if found else None

    def list_clusters(self) -> list[Resource]:
        """Every cluster in the region, a page of up to 100 per call (tags come in TagList).

        IAM: rds:DescribeDBClusters.
        """
        return self._pages("DescribeDBClusters", "DBClusters", MaxRecords=100)

    def clone_group(self, clone_group_id: str) -> list[Resource]:
        """The clusters that share this copy-on-write clone group (the source among them), with tags.

        IAM: rds:DescribeDBClusters.
        """
        return self._pages(
            "DescribeDBClusters",
            "DBClusters",
            Filters=[{"Name": "clone-group-id", "Values": [clone_group_id]}],
        )

    def clone_group_size(self, clone_group_id: str) -> int:
        """How many clusters share this copy-on-write clone group (the source among them).

        IAM: rds:DescribeDBClusters.
        """
        return len(self.clone_group(clone_group_id))

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
            on={self.faults.DBClusterAlreadyExistsFault: nothing},
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
                f"({message_of(exc)}).",
                cause=DELETED_MEANWHILE,
                fix=CLONE_AGAIN,
            ) from exc

        response = self._call(
            "CreateDBInstance",
            on={
                **busy("cluster", cluster_id, self.faults.InvalidDBClusterStateFault),
                self.faults.DBInstanceAlreadyExistsFault: nothing,
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
            on=busy("cluster", cluster_id, self.faults.InvalidDBClusterStateFault),
            DBClusterIdentifier=cluster_id,
            ServerlessV2ScalingConfiguration=dict(scaling),
            ApplyImmediately=True,
        )

    def start_cluster(self, cluster_id: str) -> None:
        """Start a stopped clone (RDS deletes no stopped cluster); Busy while it is still stopping.

        Call only after the ownership check on a fresh describe. IAM: rds:StartDBCluster.
        """
        self._call(
            "StartDBCluster",
            on=busy(
                "cluster",
                cluster_id,
                self.faults.InvalidDBClusterStateFault,
                self.faults.InvalidDBInstanceStateFault,
            ),
            DBClusterIdentifier=cluster_id,
        )

    def manage_master_password(self, cluster_id: str) -> None:
        """Give the clone its own master password, kept by RDS in Secrets Manager.

        Call only after the ownership check on a fresh describe (never on the source).
        IAM: rds:ModifyDBCluster, secretsmanager:CreateSecret, secretsmanager:TagResource, kms:DescribeKey.
        """
        self._call(
            "ModifyDBCluster",
            on=busy("cluster", cluster_id, self.faults.InvalidDBClusterStateFault),
            DBClusterIdentifier=cluster_id,
            ManageMasterUserPassword=True,
            ApplyImmediately=True,
        )

    def rename_cluster(self, cluster_id: str, new_id: str) -> None:
        """Rename a cluster refresh-base made (a golden copy, or the one replacing it), at once;
        Busy while RDS refuses.

        Call only after the ownership check on a fresh describe (never on the source).
        IAM: rds:ModifyDBCluster.
        """
        self._call(
            "ModifyDBCluster",
            on=busy("cluster", cluster_id, self.faults.InvalidDBClusterStateFault),
            DBClusterIdentifier=cluster_id,
            NewDBClusterIdentifier=new_id,
            ApplyImmediately=True,
        )

    def enable_data_api(self, cluster_arn: str) -> None:
        """Enable the HTTP endpoint (the RDS Data API) of a clone; Busy while RDS refuses.

        Call only after the ownership check on a fresh describe (never on the source).
        IAM: rds:EnableHttpEndpoint.
        """
        self._http_endpoint("EnableHttpEndpoint", cluster_arn)

    def disable_data_api(self, cluster_arn: str) -> None:
        """Turn the HTTP endpoint (the RDS Data API) of a golden copy off again once it is prepared.

        Call only after the ownership check on a fresh describe. IAM: rds:DisableHttpEndpoint.
        """
        self._http_endpoint("DisableHttpEndpoint", cluster_arn)

    def _http_endpoint(self, action: str, cluster_arn: str) -> None:
        ident = cluster_arn.rsplit(":", 1)[-1]
        self._call(
            action, on=busy("cluster", ident, self.faults.InvalidResourceStateFault), ResourceArn=cluster_arn
        )

    def delete_instance(self, instance_id: str) -> None:
        """Start deleting a DB instance (gone already is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBInstance.
        """
        # RDS refuses with either fault while the instance or its cluster is busy.
        faults = self.faults
        refused = busy(
            "instance", instance_id, faults.InvalidDBInstanceStateFault, faults.InvalidDBClusterStateFault
        )
        self._delete(
            "DeleteDBInstance", refused, faults.DBInstanceNotFoundFault, DBInstanceIdentifier=instance_id
        )

    def delete_cluster(self, cluster_id: str) -> None:
        """Start deleting a DB cluster, no final snapshot (gone is success); Busy while RDS refuses.

        Call only after the ownership check on a fresh describe. IAM: rds:DeleteDBCluster.
        """
        refused = busy("cluster", cluster_id, self.faults.InvalidDBClusterStateFault)
        self._delete(
            "DeleteDBCluster", refused, self.faults.DBClusterNotFoundFault, DBClusterIdentifier=cluster_id
        )

    def _delete(self, action: str, refused: Handlers, gone: type[Exception], **ident: str) -> None:
        """A delete with no final snapshot: Busy while RDS refuses, and not found is success."""
        self._call(action, on={**refused, gone: nothing}, SkipFinalSnapshot=True, **ident)

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
