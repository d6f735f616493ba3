"""A double of the RDS Data API (`rds-data`) over real database servers, on its real wire protocol.

`DataApi` is an HTTP server on 127.0.0.1 that answers botocore's `rds-data` client unchanged
(`AWS_ENDPOINT_URL_RDS_DATA` or `endpoint_url`): the REST-JSON paths, request and response shapes
and error shapes of botocore's service model (data/rds-data/2018-08-01). Each statement runs on a
real server of testkit.databases (PostgreSQL for aurora-postgresql clusters, MariaDB for
aurora-mysql), so what SQL does is what the engine does. The clusters are moto's (this process's
RDS backend, corrected by testkit.real_rds): a call's `resourceArn` is looked up there for its
engine, its HttpEndpointEnabled (EnableHttpEndpoint), its instances and its master secret.
`attach(cluster, server)` says which server a cluster's SQL runs on.

Behaviour, from the AWS documentation (Amazon Aurora User Guide, "Using the Amazon RDS Data API"
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.html, "Controlling Data
API timeout behavior" .../data-api-timeouts.html, "Troubleshooting" .../data-api.troubleshooting.html,
and the API reference, https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/):
- ExecuteStatement runs one statement, with `:name` parameters (SqlParameter: stringValue,
  longValue, doubleValue, booleanValue, isNull, blobValue; typeHint DATE, TIME, TIMESTAMP, DECIMAL,
  JSON, UUID), in `database`; committed at once unless `transactionId` names a transaction of
  BeginTransaction (CommitTransaction -> "Transaction Committed", RollbackTransaction -> "Rollback
  Complete"). Records come back as Field unions, `numberOfRecordsUpdated` for DML,
  `columnMetadata` with includeResultMetadata, `formattedRecords` with formatRecordsAs JSON,
  `generatedFields` (MySQL's auto-increment id; "isn't supported by Aurora PostgreSQL").
  BatchExecuteStatement runs the statement once per parameter set.
- "By default, the Data API cancels an operation and returns a timeout error if the operation
  doesn't finish processing within 45 seconds. In that case, the data isn't inserted [...]. [With
  continueAfterTimeout] your application still receives the timeout error. However, the operation
  continues running and isn't canceled." The limit is `call_limit` here, so tests lower it; a
  statement past it is cancelled on the server (pg_cancel_backend / KILL QUERY), or with
  continueAfterTimeout left running on its own connection in a background thread
  (`wait_background()` waits for those).
- Errors, each `client.exceptions.<Shape>` with the code read from the model: a SQL error is
  DatabaseErrorException with the database's message ("ERROR: <message>; SQLState: <state>", the
  form aws-cli issue 8577 quotes from the service for PostgreSQL); a cluster whose HTTP endpoint
  is not enabled, HttpEndpointNotEnabledException ("HttpEndpoint is not enabled for cluster <id>",
  the troubleshooting page's title); a secret that Secrets Manager does not have,
  SecretsErrorException ("The secret provided wasn't found", in the model); a secret without a
  username and password, InvalidSecretException; a secret whose credentials the database refuses
  (any secret but the cluster's own RDS-managed one when it has one; else one that does not hold
  its master username and password), DatabaseErrorException with the engine's authentication
  failure; an unknown transaction, TransactionNotFoundException ("Transaction <id> isn't found");
  a SQL error inside a transaction ends it ("Transaction has been aborted due to an error from a
  previous call"); a cluster without an instance, DatabaseNotFoundException; a stopped one,
  DatabaseUnavailableException; `pause(cluster, calls=N)`: the next N calls are
  DatabaseResumingException, as while an auto-paused Serverless v2 instance wakes.
- Without `database`, PostgreSQL connects to the database named after the user (the service's
  JDBC default, aws-cli issue 8577); MySQL to none.

What this double cannot know (it answers as said above, but AWS does not document it):
- the exact message texts (a MySQL error's form above all: the PostgreSQL form is the one quoted
  publicly; MySQL's is given here as "<message>; SQLState: <state>"), and the code for a cluster
  ARN that does not exist (BadRequestException here);
- whether session state (SET, temporary tables) lasts from one call to the next: the service pools
  its connections; here an idle connection is reused, so it may;
- the service's type mapping in every corner (columnMetadata beyond name/label/typeName/type/
  nullable, timestamps with time zones, MySQL's BIT, unsigned 64-bit values), the 1 MiB and 64 KB
  result limits, the 3-minute transaction expiry and the 24-hour limit (not enforced here);
- whether a batch outside a transaction commits per parameter set (here: yes), whether MySQL's
  rows-updated counts matched or changed rows (here: changed, the server's default);
- how long a paused instance takes to resume, throttling, IAM (no request is checked for its
  signature or its caller's permissions).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .databases import Server
from .runner import REGION

CALL_LIMIT = 45.0  # seconds: "within 45 seconds" (data-api-timeouts)
RESUMING = (
    "A request was cancelled because the Aurora Serverless DB instance was paused. The Data API "
    "request automatically resumes the DB instance. Wait a few seconds and try again."
)  # the model's text for DatabaseResumingException
ABORTED = "Transaction has been aborted due to an error from a previous call"
TIMED_OUT = "The statement timed out."  # the double's wording: the service's is not published
TYPE_HINTS_PG = {
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "DECIMAL": "numeric",
    "JSON": "json",
    "UUID": "uuid",
}
TYPE_HINTS_MYSQL = {"DATE": "DATE", "TIME": "TIME", "TIMESTAMP": "DATETIME(6)", "DECIMAL": "DECIMAL(65,30)"}


@cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rds-data")


class ApiError(Exception):
    """An error the service answers: `shape` is an error shape of the model."""

    def __init__(self, shape: str, message: str, **fields: Any) -> None:
        assert shape in {s.name for s in service_model().error_shapes}, f"not an rds-data error: {shape}"
        super().__init__(message)
        self.shape, self.message, self.fields = shape, message, fields

    @property
    def status(self) -> int:
        return int(service_model().shape_for(self.shape).metadata["error"]["httpStatusCode"])

    @property
    def code(self) -> str:
        error = service_model().shape_for(self.shape).metadata["error"]
        return str(error.get("code", self.shape))


@dataclass(frozen=True)
class Cluster:
    """What the double reads of a cluster in moto."""

    arn: str
    ident: str
    engine: str  # aurora-postgresql / aurora-mysql
    http_endpoint: bool
    has_instance: bool
    stopped: bool
    master_username: str
    master_password: str
    master_secret: str | None  # MasterUserSecret.SecretArn


def find_cluster(arn: str) -> Cluster | None:
    """The cluster `arn` in this process's moto (None when there is none)."""
    from moto.rds.models import rds_backends

    parts = arn.split(":")
    if len(parts) != 7 or parts[2] != "rds" or parts[5] != "cluster":
        return None
    region, account = parts[3], parts[4]
    if account not in rds_backends or region not in rds_backends[account]:
        return None
    for cluster in rds_backends[account][region].clusters.values():
        if cluster.db_cluster_arn == arn:
            secret = getattr(cluster, "master_user_secret", None)
            return Cluster(
                arn=arn,
                ident=cluster.db_cluster_identifier,
                engine=cluster.engine,
                http_endpoint=bool(cluster.http_endpoint_enabled),
                has_instance=bool(cluster.members),
                stopped=cluster._status in ("stopped", "stopping"),
                master_username=cluster.master_username or "",
                master_password=getattr(cluster, "_master_user_password", "") or "",  # moto's own
                master_secret=secret.secret_arn if secret is not None else None,
            )
    return None


def find_secret(arn: str) -> str | None:
    """The SecretString of the secret `arn` in this process's moto (None when there is none)."""
    from moto.secretsmanager.models import secretsmanager_backends

    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        return None
    region, account = parts[3], parts[4]
    if account not in secretsmanager_backends or region not in secretsmanager_backends[account]:
        return None
    secret = secretsmanager_backends[account][region].secrets.get(arn)
    if secret is None or secret.is_deleted():
        return None
    return str(getattr(secret, "secret_string", None) or "")


# --- SQL: :name parameters to the drivers' %(name)s ---------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def to_pyformat(sql: str, names: set[str], engine: str, casts: Mapping[str, str] = {}) -> str:
    """`sql` with each `:name` of `names` (outside strings, quoted names and comments) as
    `%(name)s` (or `CAST(%(name)s AS type)` for a name in `casts`) and every other `%` doubled,
    so the driver binds the values: no value is pasted into the SQL."""
    out: list[tuple[str, bool]] = []  # (text, is a placeholder)
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        end = i + 1
        if c in "'\"" or (c == "`" and engine == "mysql"):
            end = _closing(sql, i, c, backslash=engine == "mysql" and c != "`")
        elif sql.startswith("--", i) or (c == "#" and engine == "mysql"):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif (
            c == "$"
            and engine == "postgresql"
            and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_"))
        ):
            tag = _DOLLAR.match(sql, i)
            if tag:
                close = sql.find(tag.group(0), tag.end())
                end = n if close < 0 else close + len(tag.group(0))
        elif c == ":" and sql.startswith("::", i):
            end = i + 2
        elif c == ":" and (i == 0 or sql[i - 1] != ":"):
            name = _NAME.match(sql, i + 1)
            if name and name.group(0) in names:
                key = name.group(0)
                placeholder = f"%({key})s"
                out.append((f"CAST({placeholder} AS {casts[key]})" if key in casts else placeholder, True))
                i = name.end()
                continue
        out.append((sql[i:end], False))
        i = end
    return "".join(text if placeholder else text.replace("%", "%%") for text, placeholder in out)


def _closing(sql: str, start: int, quote: str, backslash: bool) -> int:
    i = start + 1
    while i < len(sql):
        if backslash and sql[i] == "\\":
            i += 2
            continue
        if sql[i] == quote:
            if sql.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


# --- values: Field unions in and out ------------------------------------------------------------


def parameter_value(field_: Mapping[str, Any]) -> Any:
    """A SqlParameter's Field as the Python value the driver binds."""
    if field_.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue"):
        if key in field_:
            return field_[key]
    if "blobValue" in field_:
        return base64.b64decode(field_["blobValue"])
    if "arrayValue" in field_:
        raise ApiError("BadRequestException", "Array parameters are not supported.")
    return None


def _field(value: Any, options: Mapping[str, str]) -> dict[str, Any]:
    """A value the driver returned as the Data API's Field."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return (
            {"stringValue": str(value)} if options.get("longReturnType") == "STRING" else {"longValue": value}
        )
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, decimal.Decimal):
        if options.get("decimalReturnType") == "DOUBLE_OR_LONG":
            return (
                {"longValue": int(value)}
                if value == value.to_integral_value()
                else {"doubleValue": float(value)}
            )
        return {"stringValue": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"blobValue": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return {"arrayValue": _array(value, options)}
    return {"stringValue": _text(value)}


def _array(values: list[Any], options: Mapping[str, str]) -> dict[str, Any]:
    fields = [_field(v, options) for v in values]
    for key, array_key in (
        ("booleanValue", "booleanValues"),
        ("longValue", "longValues"),
        ("doubleValue", "doubleValues"),
        ("stringValue", "stringValues"),
        ("arrayValue", "arrayValues"),
    ):
        if fields and all(key in f for f in fields):
            return {array_key: [f[key] for f in fields]}
    return {"stringValues": [_text(v) if v is not None else None for v in values]}


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return _text(value)


# JDBC type codes (java.sql.Types) for columnMetadata.type, by the engine's type name.
_JDBC = {
    "bool": -7, "bit": -7, "int2": 5, "smallint": 5, "tinyint": -6, "int4": 4, "int": 4, "integer": 4,
    "mediumint": 4, "int8": -5, "bigint": -5, "float4": 7, "float": 7, "float8": 8, "double": 8,
    "numeric": 2, "decimal": 2, "varchar": 12, "text": 12, "char": 1, "bpchar": 1, "date": 91,
    "time": 92, "timestamp": 93, "timestamptz": 93, "datetime": 93, "bytea": -2, "blob": -4,
}  # fmt: skip


def _column_metadata(cursor: Any, engine: str) -> list[dict[str, Any]]:
    columns = []
    for column in cursor.description or []:
        type_name = _type_name(cursor, column, engine)
        columns.append(
            {
                "name": column[0],
                "label": column[0],
                "typeName": type_name,
                "type": _JDBC.get(type_name.lower(), 1111),
                "nullable": 2,  # columnNullableUnknown: the double does not look it up
            }
        )
    return columns


def _type_name(cursor: Any, column: Any, engine: str) -> str:
    if engine == "postgresql":
        info = cursor.connection.adapters.types.get(column.type_code)
        return str(info.name) if info is not None else str(column.type_code)
    from pymysql.constants import FIELD_TYPE

    names = {v: k for k, v in vars(FIELD_TYPE).items() if k.isupper()}
    mysql = {
        "LONG": "INT",
        "LONGLONG": "BIGINT",
        "SHORT": "SMALLINT",
        "TINY": "TINYINT",
        "VAR_STRING": "VARCHAR",
    }
    name = str(names.get(column[1], column[1]))
    return mysql.get(name, name)


# --- the double -----------------------------------------------------------------------------------


@dataclass
class _Transaction:
    cluster: str
    server: Server
    conn: Any
    lock: threading.Lock = field(default_factory=threading.Lock)


class DataApi:
    """The Data API double. `call_limit` is the service's 45 s; tests lower it."""

    def __init__(self, *, call_limit: float = CALL_LIMIT) -> None:
        self.call_limit = call_limit
        self._lock = threading.Lock()
        self._servers: dict[str, Server] = {}  # cluster id -> server
        self._by_engine: dict[str, Server] = {}
        self._databases: dict[str, dict[str, str]] = {}
        self._paused: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()
        self._transactions: dict[str, _Transaction] = {}
        self._ended: dict[str, str] = {}  # transaction id -> why it ended
        self._idle: dict[tuple[str, int, str | None], list[Any]] = {}
        self._background: list[threading.Thread] = []
        self._http: ThreadingHTTPServer | None = None
        self._url = ""
        self._clients: dict[str, Any] = {}

    # -- set-up ---------------------------------------------------------------------------------

    def attach(self, cluster: str, server: Server, databases: Mapping[str, str] = {}) -> None:
        """Run the SQL of `cluster` (its identifier or ARN; it need not exist yet) on `server`;
        `databases` renames a call's `database` to one of the server's (e.g. {"postgres": fresh})."""
        ident = _ident(cluster)
        with self._lock:
            self._servers[ident] = server
            self._databases[ident] = dict(databases)

    def attach_engine(self, engine: str, server: Server) -> None:
        """Run the SQL of every cluster of `engine` (aurora-postgresql, aurora-mysql) not attached
        by name on `server`."""
        with self._lock:
            self._by_engine[engine] = server

    def pause(self, cluster: str, calls: int = 1) -> None:
        """The next `calls` calls for `cluster` answer DatabaseResumingException."""
        with self._lock:
            self._paused[_ident(cluster)] += calls

    def calls(self) -> Counter[str]:
        """The calls answered since the last look, by operation name."""
        with self._lock:
            calls, self._calls = self._calls, Counter()
        return calls

    @property
    def url(self) -> str:
        """The endpoint for AWS_ENDPOINT_URL_RDS_DATA (the server starts on the first look)."""
        if self._http is None:
            self._http = _Server(("127.0.0.1", 0), _handler(self))
            self._http.daemon_threads = True
            threading.Thread(target=self._http.serve_forever, name="data-api-double", daemon=True).start()
            port = self._http.server_address[1]
            self._url = f"http://127.0.0.1:{port}"
        return self._url

    def client(self, region: str = REGION) -> Any:
        """A botocore rds-data client of this double (kept: a client costs ~70 ms to make)."""
        import boto3

        if region not in self._clients:
            self._clients[region] = boto3.client(
                "rds-data",
                region_name=region,
                endpoint_url=self.url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._clients[region]

    def wait_background(self, timeout: float = 30.0) -> bool:
        """Wait for the statements left running by continueAfterTimeout; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._background)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._background = [t for t in self._background if t.is_alive()]
            return not self._background

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        self.wait_background()
        with self._lock:
            for transaction in self._transactions.values():
                transaction.conn.close()
            self._transactions.clear()
            for conns in self._idle.values():
                for conn in conns:
                    conn.close()
            self._idle.clear()

    # -- the operations -------------------------------------------------------------------------

    def answer(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The response of `operation` (a model operation name) to `request`; raises ApiError."""
        with self._lock:
            self._calls[operation] += 1
        if operation in ("CommitTransaction", "RollbackTransaction"):
            self._cluster(request, resuming=False)
            return self._end(operation, str(request.get("transactionId") or ""))
        cluster, server = self._cluster(request, resuming=True)
        if operation == "BeginTransaction":
            conn = self._connect(cluster, server, request, autocommit=False)
            ident = base64.b64encode(uuid.uuid4().bytes * 3).decode("ascii")
            with self._lock:
                self._transactions[ident] = _Transaction(cluster.ident, server, conn)
            return {"transactionId": ident}
        if operation == "ExecuteStatement":
            return self._execute(cluster, server, request)
        if operation == "BatchExecuteStatement":
            return self._batch(cluster, server, request)
        raise ApiError("BadRequestException", f"{operation} is not supported by this double.")

    def _cluster(self, request: Mapping[str, Any], resuming: bool) -> tuple[Cluster, Server]:
        arn = str(request.get("resourceArn") or "")
        cluster = find_cluster(arn)
        if cluster is None:
            raise ApiError("BadRequestException", f"Invalid cluster arn: {arn}")
        if not cluster.http_endpoint:
            raise ApiError(
                "HttpEndpointNotEnabledException", f"HttpEndpoint is not enabled for cluster {cluster.ident}"
            )
        if not cluster.has_instance:
            raise ApiError("DatabaseNotFoundException", "The DB cluster doesn't have a DB instance.")
        if cluster.stopped:
            raise ApiError(
                "DatabaseUnavailableException", "The writer instance in the DB cluster isn't available."
            )
        self._check_secret(cluster, str(request.get("secretArn") or ""))
        with self._lock:
            if resuming and self._paused[cluster.ident] > 0:
                self._paused[cluster.ident] -= 1
                raise ApiError("DatabaseResumingException", RESUMING)
            server = self._servers.get(cluster.ident) or self._by_engine.get(cluster.engine)
        if server is None:
            raise ApiError(
                "InternalServerErrorException",
                f"the Data API double has no database server for cluster {cluster.ident} "
                f"({cluster.engine}): call DataApi.attach or attach_engine",
            )
        return cluster, server

    def _check_secret(self, cluster: Cluster, secret_arn: str) -> None:
        text = find_secret(secret_arn)
        if text is None:
            raise ApiError("SecretsErrorException", f"The secret provided wasn't found: {secret_arn}")
        try:
            secret = json.loads(text)
            username, password = str(secret["username"]), str(secret["password"])
        except (ValueError, KeyError, TypeError) as error:
            raise ApiError(
                "InvalidSecretException", f"The secret {secret_arn} has no username and password."
            ) from error
        if cluster.master_secret is not None:
            accepted = secret_arn == cluster.master_secret
        else:
            accepted = (username, password) == (cluster.master_username, cluster.master_password)
        if not accepted:
            if cluster.engine == "aurora-mysql":
                message = (
                    f"Access denied for user '{username}'@'127.0.0.1' (using password: YES); SQLState: 28000"
                )
            else:
                message = f'FATAL: password authentication failed for user "{username}"; SQLState: 28P01'
            raise ApiError("DatabaseErrorException", message)

    def _database(self, cluster: Cluster, request: Mapping[str, Any]) -> str | None:
        asked = request.get("database") or None
        if asked is None and cluster.engine == "aurora-postgresql":
            asked = cluster.master_username  # the JDBC default: the user's name
        with self._lock:
            renamed = self._databases.get(cluster.ident, {})
        return renamed.get(asked, asked) if asked is not None else None

    def _connect(
        self, cluster: Cluster, server: Server, request: Mapping[str, Any], autocommit: bool = True
    ) -> Any:
        database = self._database(cluster, request)
        try:
            if database is None:
                import pymysql

                return pymysql.connect(
                    host=server.host,
                    port=server.port,
                    user=server.user,
                    password=server.password,
                    autocommit=autocommit,
                    charset="utf8mb4",
                )
            return server.connect(database, autocommit=autocommit)
        except Exception as error:
            raise ApiError("DatabaseErrorException", _message(error, server.engine, None)) from error

    def _borrow(self, cluster: Cluster, server: Server, request: Mapping[str, Any]) -> Any:
        key = (server.host, server.port, self._database(cluster, request))
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        return self._connect(cluster, server, request)

    def _give_back(self, server: Server, conn: Any, database: str | None) -> None:
        with self._lock:
            self._idle.setdefault((server.host, server.port, database), []).append(conn)

    def _execute(self, cluster: Cluster, server: Server, request: Mapping[str, Any]) -> dict[str, Any]:
        sql, params = _statement(request, server.engine)
        options = dict(request.get("resultSetOptions") or {})
        transaction_id = request.get("transactionId")
        if transaction_id:
            transaction = self._transaction(str(transaction_id))
            with transaction.lock:
                try:
                    return self._run(
                        server, transaction.conn, sql, params, request, options, background=False
                    )
                except ApiError as error:
                    self._abort(str(transaction_id), error)
                    raise
        conn = self._borrow(cluster, server, request)
        database = self._database(cluster, request)
        continue_after = bool(request.get("continueAfterTimeout"))
        try:
            result = self._run(server, conn, sql, params, request, options, background=continue_after)
        except _LeftRunning as running:
            raise ApiError("StatementTimeoutException", TIMED_OUT, dbConnectionId=running.backend) from None
        except ApiError:
            conn.close()
            raise
        self._give_back(server, conn, database)
        return result

    def _batch(self, cluster: Cluster, server: Server, request: Mapping[str, Any]) -> dict[str, Any]:
        sets = list(request.get("parameterSets") or [[]])
        results = []
        for parameters in sets:
            one = {**request, "parameters": parameters}
            response = self._execute(cluster, server, one)
            results.append({"generatedFields": response.get("generatedFields", [])})
        return {"updateResults": results}

    def _run(
        self,
        server: Server,
        conn: Any,
        sql: str,
        params: dict[str, Any] | None,
        request: Mapping[str, Any],
        options: Mapping[str, str],
        background: bool,
    ) -> dict[str, Any]:
        """Run on `conn` within call_limit: past it, cancel (or with `background` leave it running
        on that connection, which is closed once it ends, and raise _LeftRunning)."""
        backend = server.backend_id(conn)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = _results(conn, sql, params, server.engine, request, options)
            except Exception as error:
                outcome["error"] = error

        thread = threading.Thread(target=work, name="data-api-statement", daemon=True)
        thread.start()
        thread.join(self.call_limit)
        if thread.is_alive():
            if background:

                def close_after() -> None:
                    thread.join()
                    conn.close()

                follower = threading.Thread(target=close_after, name="data-api-continue", daemon=True)
                follower.start()
                with self._lock:
                    self._background.append(follower)
                raise _LeftRunning(backend)
            server.cancel(backend)
            thread.join()
            raise ApiError("StatementTimeoutException", TIMED_OUT, dbConnectionId=backend)
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, ApiError):
                raise error
            raise ApiError("DatabaseErrorException", _message(error, server.engine, conn)) from error
        return dict(outcome["result"])

    def _transaction(self, ident: str) -> _Transaction:
        with self._lock:
            found = self._transactions.get(ident)
            why = self._ended.get(ident)
        if found is None:
            message = f"Transaction {ident} isn't found"
            raise ApiError("TransactionNotFoundException", f"{message}: {why}" if why else message)
        return found

    def _abort(self, ident: str, error: ApiError) -> None:
        with self._lock:
            transaction = self._transactions.pop(ident, None)
            self._ended[ident] = ABORTED
        if transaction is not None:
            try:
                transaction.conn.rollback()
            finally:
                transaction.conn.close()

    def _end(self, operation: str, ident: str) -> dict[str, Any]:
        transaction = self._transaction(ident)
        with self._lock:
            self._transactions.pop(ident, None)
            self._ended[ident] = (
                "the transaction was already ended by a CommitTransaction or RollbackTransaction call"
            )
        with transaction.lock:
            try:
                if operation == "CommitTransaction":
                    transaction.conn.commit()
                    return {"transactionStatus": "Transaction Committed"}
                transaction.conn.rollback()
                return {"transactionStatus": "Rollback Complete"}
            except Exception as error:
                raise ApiError(
                    "DatabaseErrorException", _message(error, transaction.server.engine, None)
                ) from error
            finally:
                transaction.conn.close()


class _LeftRunning(Exception):
    """A statement past the call limit left running (continueAfterTimeout) on connection `backend`."""

    def __init__(self, backend: int) -> None:
        super().__init__(backend)
        self.backend = backend


def _ident(cluster: str) -> str:
    return cluster.rsplit(":", 1)[-1].lower() if cluster.startswith("arn:") else cluster.lower()


def _statement(request: Mapping[str, Any], engine: str) -> tuple[str, dict[str, Any] | None]:
    sql = str(request.get("sql") or "")
    parameters = list(request.get("parameters") or [])
    if not parameters:
        return sql, None
    values: dict[str, Any] = {}
    casts: dict[str, str] = {}
    hints = TYPE_HINTS_PG if engine == "postgresql" else TYPE_HINTS_MYSQL
    for parameter in parameters:
        name = str(parameter.get("name") or "")
        values[name] = parameter_value(parameter.get("value") or {})
        hint = parameter.get("typeHint")
        if hint and hint in hints and values[name] is not None:
            casts[name] = hints[hint]
    return to_pyformat(sql, set(values), engine, casts), values


def _results(
    conn: Any,
    sql: str,
    params: dict[str, Any] | None,
    engine: str,
    request: Mapping[str, Any],
    options: Mapping[str, str],
) -> dict[str, Any]:
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        response: dict[str, Any] = {"numberOfRecordsUpdated": _updated(cursor, engine)}
        generated: list[dict[str, Any]] = []
        if engine == "mysql" and cursor.lastrowid:
            generated = [{"longValue": int(cursor.lastrowid)}]
        response["generatedFields"] = generated
        if cursor.description is not None:
            rows = cursor.fetchall()
            if request.get("formatRecordsAs") == "JSON":
                names = [c[0] for c in cursor.description]
                records = [dict(zip(names, (_json_value(v) for v in row), strict=True)) for row in rows]
                response["formattedRecords"] = json.dumps(records)
            else:
                response["records"] = [[_field(v, options) for v in row] for row in rows]
            if request.get("includeResultMetadata"):
                response["columnMetadata"] = _column_metadata(cursor, engine)
        return response
    finally:
        cursor.close()


def _updated(cursor: Any, engine: str) -> int:
    """Rows a DML statement changed; 0 for a query (PostgreSQL: from the command tag, so an
    UPDATE ... RETURNING counts its rows and a SELECT none)."""
    if engine == "postgresql":
        tag = (cursor.statusmessage or "").split()
        if tag and tag[0] in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY") and tag[-1].isdigit():
            return int(tag[-1])
        return 0
    return max(int(cursor.rowcount), 0) if cursor.description is None else 0


def _message(error: Exception, engine: str, conn: Any) -> str:
    """The database's message, as the service passes it on: '<text>; SQLState: <state>'."""
    if engine == "postgresql":
        diag = getattr(error, "diag", None)
        if diag is None or not diag.message_primary:
            # A refused connection: libpq gives only its text ('... FATAL:  database "x" does not
            # exist'), shown as the service shows it (aws-cli issue 8577).
            text = re.sub(r"\s+", " ", str(error).rsplit("FATAL:", 1)[-1]).strip()
            missing = re.fullmatch(r'database ".*" does not exist', text)
            state = getattr(error, "sqlstate", None) or ("3D000" if missing else None)
            return f"ERROR: {text}; SQLState: {state}" if state else f"ERROR: {text}"
        text = f"{diag.severity_nonlocalized or diag.severity or 'ERROR'}: {diag.message_primary}"
        if diag.message_detail:
            text += f"\n  Detail: {diag.message_detail}"
        if diag.message_hint:
            text += f"\n  Hint: {diag.message_hint}"
        if diag.statement_position:
            text += f"\n  Position: {diag.statement_position}"
        return f"{text}; SQLState: {diag.sqlstate}"
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    text = str(args[1]) if len(args) > 1 else str(error)
    state = _mysql_state(conn) if conn is not None else None
    return f"{text}; SQLState: {state}" if state else text


def _mysql_state(conn: Any) -> str | None:
    """The SQLSTATE of the connection's last error (PyMySQL does not keep it)."""
    try:
        cursor = conn.cursor()
        cursor.execute("GET DIAGNOSTICS CONDITION 1 @data_api_state = RETURNED_SQLSTATE")
        cursor.execute("SELECT @data_api_state")
        row = cursor.fetchone()
        cursor.close()
        return str(row[0]) if row and row[0] else None
    except Exception:
        return None


class _Server(ThreadingHTTPServer):
    """A client that hung up before its answer (a cancelled run) is not an error of the double."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _handler(double: DataApi) -> type[BaseHTTPRequestHandler]:
    operations = {
        service_model().operation_model(name).http["requestUri"]: name
        for name in service_model().operation_names
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY the body waits ~40 ms for the
        # client's delayed ACK on every kept-alive call (measured by bench/mask_bench.py).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            operation = operations.get(self.path.split("?", 1)[0])
            try:
                if operation is None:
                    raise ApiError("BadRequestException", f"no operation at {self.path}")
                request = json.loads(body or b"{}")
                self._send(200, {}, double.answer(operation, request))
            except Exception as error:
                if not isinstance(error, ApiError):  # a fault of the double itself: said, not hidden
                    error = ApiError("InternalServerErrorException", f"data API double: {error!r}")
                self._send(
                    error.status, {"x-amzn-errortype": error.code}, {"message": error.message, **error.fields}
                )

        def _send(self, status: int, headers: Mapping[str, str], payload: Mapping[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
