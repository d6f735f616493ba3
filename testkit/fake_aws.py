"""The fake AWS: moto corrected by real_rds, once per process, and the clusters the action finds there.

`Moto` holds moto's state for a whole test session (or a demo, or a bench): in this process through
`mock_aws`, and, once asked for its `url`, through a ThreadedMotoServer over the same state, for
entrypoint.py in a subprocess or in a container (`AWS_ENDPOINT_URL`). `reset()` empties both at once
and the server counts the requests it answers. `make_source`, `make_clone` and `make_cluster` put in
what a test starts from: a production source, clones tagged as the action tags them (through
clone_action.aws.tags, so a renamed tag key cannot pass unnoticed), and clusters of someone else.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from . import real_rds
from .clock import NOW
from .events import REPOSITORY
from .runner import REGION

SOURCE = "prod"
# In the future of NOW and in its past: a live clone and an expired one.
FUTURE, PAST = "2026-12-20T00:00:00Z", "2026-11-20T00:00:00Z"
SCALING = {"MinCapacity": 0.5, "MaxCapacity": 4}  # action.yml's min-capacity and max-capacity


def make_source(
    rds: Any, ec2: Any, name: str = SOURCE, region: str = REGION, **overrides: Any
) -> dict[str, Any]:
    """A source with its own subnet group, security group, parameter group, an instance and prod tags."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab", start=1)
    ]
    sg = ec2.create_security_group(GroupName=f"{name}-db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{name}-subnets", DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=f"{name}-params",
        DBParameterGroupFamily="aurora-postgresql16",
        Description="db",
    )
    params: dict[str, Any] = {
        "DBClusterIdentifier": name,
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.4",
        "MasterUsername": "app",
        "MasterUserPassword": "prod-password-1",
        "DBSubnetGroupName": f"{name}-subnets",
        "VpcSecurityGroupIds": [sg],
        "DBClusterParameterGroupName": f"{name}-params",
        "DeletionProtection": True,
        "EnableIAMDatabaseAuthentication": True,
        "Tags": [{"Key": "env", "Value": "production"}, {"Key": "cost-center", "Value": "shop"}],
    }
    params.update(overrides)
    cluster = rds.create_db_cluster(**params)["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBClusterIdentifier=name,
        Engine=params["Engine"],
        DBInstanceClass="db.r6g.large",
    )
    return {"cluster": cluster, "security_group": sg, "subnet_group": f"{name}-subnets"}


def clone_tag_list(
    *, pr: int, expires: str | datetime | None, repository: str = REPOSITORY, source: str = SOURCE
) -> list[dict[str, str]]:
    """The action's tags of a clone. `expires` as written in the tag (any text, to test unreadable
    ones), a datetime, or None for no expiry tag at all."""
    from clone_action.aws import tags

    when = expires if isinstance(expires, datetime) else NOW + timedelta(days=7)
    made = tags.clone_tags(repository=repository, pr=pr, source=source, expires_at=when)
    if expires is None:
        return [t for t in made if t["Key"] != tags.EXPIRES_AT]
    if isinstance(expires, str):
        return [{**t, "Value": expires} if t["Key"] == tags.EXPIRES_AT else t for t in made]
    return made


def make_clone(
    rds: Any,
    ident: str,
    *,
    pr: int,
    expires: str | datetime | None = FUTURE,
    repository: str = REPOSITORY,
    source: str = SOURCE,
    restore_from: str = SOURCE,
    instance: bool = False,
) -> dict[str, Any]:
    """A clone as the action makes it: through the action's own RDS gateway, a copy-on-write restore
    of `restore_from` with the action's tags (`source` is what the aurora-clone/source tag says),
    and with `instance` its Serverless v2 instance '<ident>-1'."""
    from clone_action.aws.rds import RdsGateway
    from clone_action.clock import SystemClock

    tags = clone_tag_list(pr=pr, expires=expires, repository=repository, source=source)
    gateway = RdsGateway(rds, SystemClock(), log=lambda _: None)
    scaling = {"ServerlessV2ScalingConfiguration": SCALING}
    cluster = gateway.restore_clone(source=restore_from, clone_id=ident, tags=tags, settings=scaling)
    assert cluster is not None, f"a cluster '{ident}' exists already"
    if instance:
        gateway.create_instance(
            cluster=cluster,
            instance_id=f"{ident}-1",
            instance_class="db.serverless",
            publicly_accessible=False,
            tags=tags,
        )
    return cluster


def make_cluster(
    rds: Any,
    ident: str,
    *,
    tags: Iterable[Mapping[str, str]] = (),
    instance: str = "",
    **extra: Any,
) -> None:
    """A cluster someone else made (by hand, or another tool), with the instance `instance` if named;
    `tags` as RDS lists them ({"Key": ..., "Value": ...})."""
    tag_list = [dict(tag) for tag in tags]
    rds.create_db_cluster(
        DBClusterIdentifier=ident,
        Engine="aurora-postgresql",
        MasterUsername="someone",
        MasterUserPassword="someone-password",
        Tags=tag_list,
        **extra,
    )
    if instance:
        rds.create_db_instance(
            DBInstanceIdentifier=instance,
            DBClusterIdentifier=ident,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            Tags=tag_list,
        )


class CountingApp:
    """WSGI middleware in front of moto's server: counts each AWS API request by its action."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/moto-api"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            action = environ.get("HTTP_X_AMZ_TARGET", "")
            if not action:
                form = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body.decode("utf-8", "replace"))
                action = form.get("Action", [f"{environ.get('REQUEST_METHOD')} {path}"])[0]
            with self.lock:
                self.calls[action] += 1
        return self.app(environ, start_response)

    def take(self) -> Counter[str]:
        """The calls since the last take()."""
        with self.lock:
            calls, self.calls = self.calls, Counter()
        return calls


class Moto:
    """moto for this process: in-process (`mock_aws`, unless `in_process` is False) and, from the first
    look at `url`, a ThreadedMotoServer on 127.0.0.1 over the same state."""

    def __init__(self, region: str = REGION, in_process: bool = True) -> None:
        self.region = region
        self.in_process = in_process
        self._server: Any = None
        self._counter: CountingApp | None = None
        self._clients: dict[tuple[str, bool], Any] = {}
        self._url = ""
        self._pristine: tuple[dict[str, Any], Any] | None = None
        # EC2's default AMIs cost moto ~0.4 s for every EC2 backend it makes, again after each reset;
        # nothing here starts an instance. moto reads this whenever it makes a backend.
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        real_rds.install()
        self._mock: Any = None
        if in_process:
            from moto import mock_aws

            self._mock = mock_aws()
            self._mock.start()

    @property
    def url(self) -> str:
        """The server's base URL, for AWS_ENDPOINT_URL (the server starts on the first call)."""
        if self._server is None:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._server.start()
            werkzeug = self._server._server  # the app is looked up per request, so it can be wrapped
            assert werkzeug is not None
            self._counter = CountingApp(werkzeug.app)
            werkzeug.app = self._counter
            host, port = self._server.get_host_and_port()
            self._url = f"http://{host}:{port}"
        return self._url

    def client(self, service: str, over_http: bool = False) -> Any:
        """A client of the state, as a person would use the AWS CLI; `over_http` through the server.

        Kept: a client costs ~70 ms to make.
        """
        http = over_http or not self.in_process
        if (service, http) not in self._clients:
            import boto3

            where: dict[str, str] = {"endpoint_url": self.url} if http else {}
            self._clients[service, http] = boto3.client(
                service,
                region_name=self.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                **where,
            )
        return self._clients[service, http]

    @property
    def rds(self) -> Any:
        return self.client("rds")

    @property
    def ec2(self) -> Any:
        return self.client("ec2")

    def calls(self) -> Counter[str]:
        """The requests the server answered since the last look (or the last reset)."""
        return self._counter.take() if self._counter is not None else Counter()

    def reset(self) -> None:
        """Every service emptied, in this process and in the server alike (it is the same state)."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.calls()

    def with_source(self) -> dict[str, Any]:
        """reset(), then the source 'prod' of make_source: made once, then its RDS and EC2 state
        copied back for every test (a copy costs ~3 ms, making it ~25 ms)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends
        from moto.rds.models import rds_backends

        self.reset()
        if self._pristine is None:
            source = make_source(self.rds, self.ec2, region=self.region)
            state = (
                rds_backends[DEFAULT_ACCOUNT_ID][self.region],
                ec2_backends[DEFAULT_ACCOUNT_ID][self.region],
            )
            self._pristine = source, copy.deepcopy(state)
        else:
            rds, ec2 = copy.deepcopy(self._pristine[1])  # one copy: the RDS state refers to EC2's
            rds_backends[DEFAULT_ACCOUNT_ID][self.region] = rds
            ec2_backends[DEFAULT_ACCOUNT_ID][self.region] = ec2
        self.calls()
        return copy.deepcopy(self._pristine[0])

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._mock is not None:
            self._mock.stop()


@dataclass
class Account:
    """The fake account one test starts from: the source 'prod' made in a freshly reset moto."""

    moto: Moto
    source: dict[str, Any]

    @classmethod
    def fresh(cls, moto: Moto) -> Account:
        return cls(moto, moto.with_source())

    @property
    def rds(self) -> Any:
        return self.moto.rds

    @property
    def ec2(self) -> Any:
        return self.moto.ec2

    @property
    def url(self) -> str:
        return self.moto.url

    def cluster_ids(self) -> list[str]:
        return sorted(c["DBClusterIdentifier"] for c in self.rds.describe_db_clusters()["DBClusters"])

    def cluster(self, ident: str) -> dict[str, Any] | None:
        try:
            return dict(self.rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0])
        except self.rds.exceptions.DBClusterNotFoundFault:
            return None

    def instances(self, cluster_id: str) -> list[dict[str, Any]]:
        found = self.rds.describe_db_instances()["DBInstances"]
        return [i for i in found if i.get("DBClusterIdentifier") == cluster_id]

    def tags(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
