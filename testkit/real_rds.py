"""moto's RDS, corrected where it differs from real RDS in ways the action depends on.

`install()` patches moto's RDS classes in this process, so `mock_aws` and every
ThreadedMotoServer started here behave alike. Each correction names what it follows:

- RestoreDBClusterToPointInTime (API reference): a cluster id that exists is
  DBClusterAlreadyExistsFault (moto overwrote it); Port defaults to the engine's port, StorageType
  to `aurora`, EngineLifecycleSupport to `open-source-rds-extended-support` (moto copied the
  source's). "You can't create a clone from an Aurora DB cluster that has no DB instances"
  (Aurora User Guide, "Limitations of Aurora cloning"; the guide names no error code: this
  double answers InvalidDBClusterStateFault).
- A restore from a source whose master password RDS manages (the project's checked AWS facts,
  ../shared/NOTES.md: the source's managed secret is not carried to the clone, which keeps the
  source's password until ModifyDBCluster gives it its own): the clone has no MasterUserSecret;
  moto gave it a new secret of its own.
- CloneGroupId (API reference, DBCluster): null until the first clone, then shared by the
  source and its copy-on-write clones; DescribeDBClusters filters by `clone-group-id`. "After
  you have 15 clones, the next clone that you create is a full copy": the guide does not say
  which CloneGroupId a full copy gets (a PITR inherits the source's); this double gives it one
  of its own.
- CreateDBCluster: StorageType `aurora` for Aurora, left out of a describe ("The storage type
  isn't returned when you set it to aurora"); moto said gp2.
- A stopped cluster (Aurora User Guide, "Stopping and starting an Aurora DB cluster"): "You
  can't modify the configuration of an Aurora DB cluster, or any of its DB instances, while the
  cluster is stopped. You also can't add or remove DB instances from the cluster, or delete the
  cluster if it still has any associated DB instances." Its instances are stopped with it;
  StartDBCluster answers `starting` (moto: the non-state `started`), then `available`.
- Serverless v2 (Aurora User Guide, "Requirements for Aurora Serverless v2"): a db.serverless
  instance needs the cluster's ServerlessV2ScalingConfiguration, else InvalidDBClusterStateFault
  with the message AWS prints.
- DeleteDBCluster (API reference, DeleteAutomatedBackups): "The default is to remove automated
  backups immediately after the DB cluster is deleted"; moto kept them, so a clone made again
  under the same name within the minute failed on its automated snapshot's name.
- ModifyDBCluster with NewDBClusterIdentifier (API reference): the cluster is renamed, its
  instances stay its members, a name that exists is DBClusterAlreadyExistsFault; moto kept the
  cluster under both names and left its instances in a cluster of the old name.
- The cluster endpoint (Aurora User Guide, "Cluster endpoints for Amazon Aurora":
  `mydbcluster.cluster-c7tj4example.us-east-1.rds.amazonaws.com`; "Considerations for custom
  endpoints": "The customer DNS identifier is a unique identifier associated with your AWS
  account in a particular AWS Region", the same `c7tj4example` in its custom endpoint example):
  `<cluster>.cluster-<identifier>.<Region>.rds.amazonaws.com`, with one identifier for every
  cluster of an account in a Region, so a cluster made again under the same identifier answers at
  the same endpoint (a reset relies on it); moto drew the identifier at random for each cluster.
- CreateDBInstance (API reference, Errors): a DBClusterIdentifier that does not exist is
  DBClusterNotFoundFault; moto made the instance anyway, a member of no cluster.
- DescribeDBEngineVersions (moto has none): ServerlessV2FeaturesSupport from the capacity table
  of "How Aurora Serverless v2 works", per engine version.
- EnableHttpEndpoint and DisableHttpEndpoint (moto has neither; API reference,
  API_EnableHttpEndpoint / API_DisableHttpEndpoint): `ResourceArn` of a DB cluster, answered with
  `ResourceArn` and `HttpEndpointEnabled`, which DescribeDBClusters then shows (moto let only
  Serverless v1 clusters have it). An ARN of no cluster is ResourceNotFoundFault; a stopped cluster
  is InvalidResourceStateFault ("another operation is in progress" is the model's only state
  error; the guide says a stopped cluster's configuration cannot be modified). The RDS Data API
  double (testkit/data_api.py) reads the flag from here.

What no double here knows (how long states last, pending modifications, throttling) stays in the
tests, with botocore hooks.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REAL_RDS = "real-rds"
SERVERLESS_V2_REFUSAL = (
    "Set the Serverless v2 scaling configuration on the parent DB cluster before creating a "
    "Serverless v2 DB instance."
)
COPY_ON_WRITE_LIMIT = 15
_installed = False

# "How Aurora Serverless v2 works", capacity table: the first version of each major line with
# (0.5-128), (0.5-256) and (0-256) ACUs. Aurora MySQL by its Aurora version (3.xx), Aurora
# PostgreSQL by its engine version; Aurora MySQL 2 has no Serverless v2.
CAPACITY_TABLE: dict[str, dict[int, list[tuple[tuple[int, ...], float, float]]]] = {
    "aurora-mysql": {
        3: [((3, 2, 0), 0.5, 128), ((3, 6, 0), 0.5, 256), ((3, 8, 0), 0, 256)],
        4: [((4, 0, 0), 0, 256)],
    },
    "aurora-postgresql": {
        13: [((13, 6), 0.5, 128), ((13, 13), 0.5, 256), ((13, 15), 0, 256)],
        14: [((14, 3), 0.5, 128), ((14, 10), 0.5, 256), ((14, 12), 0, 256)],
        15: [((15, 2), 0.5, 128), ((15, 5), 0.5, 256), ((15, 7), 0, 256)],
        16: [((16, 1), 0.5, 256), ((16, 3), 0, 256)],
        17: [((17, 0), 0, 256)],
    },
}


def _version(engine: str, version: str) -> tuple[int, ...] | None:
    """(3, 8, 0) for '8.0.mysql_aurora.3.08.0', (16, 4) for '16.4'."""
    text = version.split("mysql_aurora.")[-1] if engine == "aurora-mysql" else version
    parts = re.findall(r"\d+", text)
    return tuple(int(p) for p in parts) if parts else None


def serverless_v2_support(engine: str, version: str) -> dict[str, float] | None:
    """ServerlessV2FeaturesSupport of an engine version, or None when it has no Serverless v2."""
    parsed = _version(engine, version)
    if parsed is None:
        return None
    found = None
    for first, least, most in CAPACITY_TABLE.get(engine, {}).get(parsed[0], []):
        if parsed >= first:
            found = {"MinCapacity": float(least), "MaxCapacity": float(most)}
    return found


def install() -> None:
    """Patch moto's RDS in this process (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    from moto.rds import exceptions as errors
    from moto.rds.models import DBCluster, DBInstanceClustered, RDSBackend
    from moto.rds.responses import RDSResponse
    from moto.rds.utils import FilterDef

    def refuse(code: str, message: str) -> Exception:
        return errors.RDSClientError(code, message)

    DBCluster.SUPPORTED_FILTERS = {
        **DBCluster.SUPPORTED_FILTERS,
        "clone-group-id": FilterDef(["clone_group_id"], "Clone Group Ids"),
    }

    def dns_identifier(self: Any) -> str:
        # 12 lower-case letters and digits, as in the guide's examples, per account and Region.
        return hashlib.sha256(f"{self.account_id}:{self.region}".encode()).hexdigest()[:12]

    # moto's __init__ assigns a random one: the setter drops it.
    DBCluster.url_identifier = property(dns_identifier, lambda self, value: None)  # type: ignore[assignment,method-assign]

    status_property = DBCluster.status

    def cluster_status(self: Any) -> str:
        # A start is answered `starting`, then `available` (as moto does with `creating`): how
        # long a state lasts, no double knows; tests that need it hold it with a hook.
        if self._status == "starting":
            self._starting_reads -= 1
            if self._starting_reads <= 0:
                self._status = "available"
            return "starting"
        return str(status_property.fget(self))  # type: ignore[attr-defined]

    DBCluster.status = property(cluster_status, status_property.fset)  # type: ignore[method-assign,assignment]

    create_cluster = RDSBackend.create_db_cluster

    def create_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        aurora = str(kwargs.get("engine", "")).startswith("aurora")
        storage = kwargs.get("storage_type") or ("aurora" if aurora else None)
        if storage:
            kwargs["storage_type"] = storage
        if aurora:
            kwargs.setdefault("allocated_storage", 1)  # what RDS reports for Aurora storage
        cluster = create_cluster(self, kwargs)
        if aurora:
            cluster.storage_type = None if storage == "aurora" else storage
            cluster.engine_lifecycle_support = (
                kwargs.get("engine_lifecycle_support") or "open-source-rds-extended-support"
            )
        if not hasattr(cluster, "clone_group_id"):
            cluster.clone_group_id = None
        return cluster

    restore = RDSBackend.restore_db_cluster_to_point_in_time

    def restore_db_cluster_to_point_in_time(
        self: Any,
        db_cluster_identifier: str,
        source_db_cluster_identifier: str,
        restore_type: str = "full-copy",
        **overrides: Any,
    ) -> Any:
        if db_cluster_identifier in self.clusters:
            raise refuse("DBClusterAlreadyExistsFault", "DB Cluster already exists")
        source = self.describe_db_clusters(db_cluster_identifier=source_db_cluster_identifier)[0]
        if not source.members:
            raise refuse(
                "InvalidDBClusterStateFault",
                f"DB cluster {source.db_cluster_identifier} has no DB instances and cannot be cloned.",
            )
        overrides.setdefault("port", DBCluster.default_port(source.engine))
        overrides.setdefault("storage_type", "aurora")
        overrides.setdefault("engine_lifecycle_support", "open-source-rds-extended-support")
        clone = restore(self, db_cluster_identifier, source_db_cluster_identifier, restore_type, **overrides)
        clone.engine_lifecycle_support = overrides["engine_lifecycle_support"]
        if getattr(clone, "master_user_secret", None) is not None:
            # The source's managed secret is not carried over: the clone has the source's password
            # until it is given its own (moto made it a new secret at once).
            clone.master_user_secret.delete_secret()
            del clone.master_user_secret
            clone.manage_master_user_password = False
        if restore_type == "copy-on-write":
            group = source.clone_group_id or str(uuid.uuid4())
            source.clone_group_id = group
            sharing = [c for c in self.clusters.values() if c is not clone and c.clone_group_id == group]
            full_copy = len(sharing) - 1 >= COPY_ON_WRITE_LIMIT
            clone.clone_group_id = str(uuid.uuid4()) if full_copy else group
        else:
            clone.clone_group_id = source.clone_group_id
        return clone

    def refuse_when_stopped(cluster: Any, what: str, code: str = "InvalidDBClusterStateFault") -> None:
        if cluster is not None and cluster._status in ("stopped", "stopping"):
            raise refuse(
                code,
                f"DbCluster {cluster.db_cluster_identifier} is in {cluster._status} state; {what}",
            )

    create_instance = RDSBackend.create_db_instance

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        cluster_id = db_kwargs.get("db_cluster_identifier") or ""
        cluster = self.clusters.get(cluster_id)
        if cluster_id and cluster is None:
            raise errors.DBClusterNotFoundError(cluster_id)
        refuse_when_stopped(cluster, "start it before adding DB instances.")
        if (
            cluster is not None
            and db_kwargs.get("db_instance_class") == "db.serverless"
            and not getattr(cluster, "serverless_v2_scaling_configuration", None)
        ):
            raise refuse("InvalidDBClusterStateFault", SERVERLESS_V2_REFUSAL)
        return create_instance(self, db_kwargs)

    delete_instance = RDSBackend.delete_db_instance

    def delete_db_instance(self: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
        instance = self.databases.get(db_instance_identifier)
        if isinstance(instance, DBInstanceClustered):
            cluster = self.clusters.get(instance.db_cluster_identifier)
            refuse_when_stopped(
                cluster, "start it before deleting its DB instances.", "InvalidDBInstanceStateFault"
            )
        return delete_instance(self, db_instance_identifier, *args, **kwargs)

    delete_cluster = RDSBackend.delete_db_cluster

    def delete_db_cluster(self: Any, cluster_identifier: str, *args: Any, **kwargs: Any) -> Any:
        cluster = self.clusters.get(cluster_identifier)
        if cluster is not None and cluster.members:
            refuse_when_stopped(cluster, "start it before deleting it.")
        deleted = delete_cluster(self, cluster_identifier, *args, **kwargs)
        for name, snapshot in list(self.cluster_snapshots.items()):
            if snapshot.snapshot_type == "automated" and snapshot.db_cluster_identifier == cluster_identifier:
                del self.cluster_snapshots[name]
        return deleted

    modify_cluster = RDSBackend.modify_db_cluster

    def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        old = kwargs.get("db_cluster_identifier") or ""
        refuse_when_stopped(self.clusters.get(old), "start it first.")
        new = kwargs.get("new_db_cluster_identifier")
        if not new or new == old:
            return modify_cluster(self, kwargs)
        if new in self.clusters:
            raise refuse("DBClusterAlreadyExistsFault", f"DB cluster already exists: {new}")
        members = list(self.clusters[old].members) if old in self.clusters else []
        answer = modify_cluster(self, kwargs)
        # A rename moves the cluster (moto kept it under its old name too) and its instances with it.
        self.clusters.pop(old, None)
        for instance in members:
            instance.db_cluster_identifier = new
        return answer

    stop_cluster = RDSBackend.stop_db_cluster

    def stop_db_cluster(self: Any, cluster_identifier: str) -> Any:
        previous = stop_cluster(self, cluster_identifier)
        for instance in self.clusters[cluster_identifier].members:
            instance.status = "stopped"
        return previous

    def start_db_cluster(self: Any, cluster_identifier: str) -> Any:
        if cluster_identifier not in self.clusters:
            raise errors.DBClusterNotFoundError(cluster_identifier)
        cluster = self.clusters[cluster_identifier]
        if cluster._status != "stopped":
            raise refuse(
                "InvalidDBClusterStateFault",
                f"DbCluster {cluster_identifier} is in {cluster._status} state but expected it to be one "
                "of stopped,inaccessible-encryption-credentials-recoverable.",
            )
        cluster._status, cluster._starting_reads = "starting", 1
        for instance in cluster.members:
            instance.status = "available"
        return cluster

    def describe_db_engine_versions(self: Any) -> Any:
        from moto.core.responses import ActionResult

        engine = str(self.params.get("Engine") or "")
        version = str(self.params.get("EngineVersion") or "")
        found: list[dict[str, Any]] = []
        if engine.startswith("aurora-") and _version(engine, version):
            described: dict[str, Any] = {"Engine": engine, "EngineVersion": version, "Status": "available"}
            support = serverless_v2_support(engine, version)
            if support:
                described["ServerlessV2FeaturesSupport"] = support
            found.append(described)
        return ActionResult({"DBEngineVersions": found})

    def http_endpoint(enabled: bool) -> Any:
        def answer(self: Any) -> Any:
            from moto.core.responses import ActionResult

            from .rds_model import wire_code

            arn = str(self.params.get("ResourceArn") or "")
            found = [c for c in self.backend.clusters.values() if c.db_cluster_arn == arn]
            if not found:
                raise refuse(wire_code("ResourceNotFoundFault"), f"DBCluster {arn} not found.")
            refuse_when_stopped(found[0], "start it first.", wire_code("InvalidResourceStateFault"))
            found[0]._enable_http_endpoint = enabled
            return ActionResult({"ResourceArn": arn, "HttpEndpointEnabled": enabled})

        return answer

    RDSBackend.create_db_cluster = create_db_cluster  # type: ignore[method-assign]
    RDSBackend.restore_db_cluster_to_point_in_time = restore_db_cluster_to_point_in_time  # type: ignore[method-assign]
    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.delete_db_instance = delete_db_instance  # type: ignore[method-assign]
    RDSBackend.delete_db_cluster = delete_db_cluster  # type: ignore[method-assign]
    RDSBackend.modify_db_cluster = modify_db_cluster  # type: ignore[method-assign]
    RDSBackend.stop_db_cluster = stop_db_cluster  # type: ignore[method-assign]
    RDSBackend.start_db_cluster = start_db_cluster  # type: ignore[method-assign]
    RDSResponse.describe_db_engine_versions = describe_db_engine_versions  # type: ignore[attr-defined]
    RDSResponse.enable_http_endpoint = http_endpoint(True)  # type: ignore[attr-defined]
    RDSResponse.disable_http_endpoint = http_endpoint(False)  # type: ignore[attr-defined]


@contextmanager
def held(cluster_id: str, status: str = "creating") -> Iterator[None]:
    """While inside, RDS reports the cluster `cluster_id` as `status`, in this process's moto (the
    in-process one and every ThreadedMotoServer started here).

    How long a state lasts, no double knows: a test that needs a long one holds it. Only states
    the Aurora User Guide lists are accepted.
    """
    from moto.rds.models import DBCluster

    from .rds_model import CLUSTER_STATES

    assert status in CLUSTER_STATES, f"not an Aurora cluster state: {status}"
    prop = DBCluster.status

    def reported(self: Any) -> str:
        if self.db_cluster_identifier == cluster_id:
            return status
        return str(prop.fget(self))  # type: ignore[misc]

    DBCluster.status = property(reported, prop.fset)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        DBCluster.status = prop  # type: ignore[method-assign]
