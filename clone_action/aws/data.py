"""One gateway over the RDS Data API (rds-data): statements in one clone, errors translated.

The only module that calls boto3's rds-data client. Every call runs one statement on the clone's
writer with the clone's own RDS-managed secret, in autocommit. What the service does, from the
Aurora User Guide ("Using RDS Data API", "Controlling Data API timeout behavior", 2026-11):

- A call that runs longer than 45 s answers StatementTimeoutException. Without
  continueAfterTimeout the statement is cancelled; with it, it keeps running. Every statement
  here runs with it, and a statement whose call timed out is waited for (`running`) and then
  checked by its caller: a masking rule by its verification query.
- DatabaseResumingException: an auto-paused Serverless v2 instance is waking; ask again.
- HttpEndpointNotEnabledException right after EnableHttpEndpoint: the change is still spreading.
- SDK sockets must wait longer than the 45 s the service may take to answer (read_timeout 70 s).

Error shapes are the service model's (client.exceptions.<Shape>), never typed codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import __version__
from ..clock import Budget, elapsed
from ..errors import DATA_API_FORBIDDEN_FIX, DATA_API_WAIT_FIX, AwsError, WaitTimeout
from .translate import message_of, translate

if TYPE_CHECKING:
    from ..masking import Engine, Statement

# The service answers within 45 s (the call limit); a socket must wait longer than that.
READ_TIMEOUT = 70
# Marks a statement so that its progress can be found in the engine's list of running statements.
MARKER = "/* aurora-clone-action {} */ "


def make_client(region: str) -> Any:
    """The run's one rds-data client: standard retries, AWS_ENDPOINT_URL(_RDS_DATA) honoured."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        read_timeout=READ_TIMEOUT,
        user_agent_extra=f"aurora-clone-action/{__version__}",
    )
    return boto3.client("rds-data", region_name=region or None, config=config)


class SqlFailed(Exception):
    """The database refused a statement; `message` is the database's own."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    """What one statement did: rows changed (None when the call timed out), the rows it returned."""

    rows: int | None
    records: list[list[Any]]
    timed_out: bool = False


def _value(field: dict[str, Any]) -> Any:
    """A Data API Field union as a Python value."""
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    return None


def running_statement(engine: Engine, marker: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A query counting the statements still running that carry `marker` (other than itself)."""
    pattern = (("pattern", "%" + marker.strip() + "%"),)
    if engine == "postgresql":
        return (
            "SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' "
            "AND pid <> pg_backend_pid() AND query LIKE :pattern",
            pattern,
        )
    return (
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
        "AND COMMAND = 'Query' AND INFO LIKE :pattern",
        pattern,
    )


class DataGateway:
    """The Data API for one clone: its ARN, its own secret, one database."""

    def __init__(
        self,
        client: Any,
        *,
        cluster_arn: str,
        secret_arn: str,
        database: str,
        budget: Budget,
        log: Callable[[str], None],
        policy: str = "clone-teardown-policy.json",
    ) -> None:
        self.client = client
        self.cluster_arn = cluster_arn
        self.secret_arn = secret_arn
        self.database = database
        self.budget = budget
        self.log = log
        self.policy = policy
        self.faults = client.exceptions
        self.calls = 0

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def execute(self, statement: Statement) -> Answer:
        """Run one statement (autocommit, continueAfterTimeout); SqlFailed when the database refuses.

        IAM: rds-data:ExecuteStatement, secretsmanager:GetSecretValue.
        """
        params = [{"name": name, "value": {"stringValue": value}} for name, value in statement.params]
        waiting_since: float | None = None
        while True:
            self.calls += 1
            try:
                answer = self.client.execute_statement(
                    resourceArn=self.cluster_arn,
                    secretArn=self.secret_arn,
                    database=self.database,
                    sql=statement.sql,
                    parameters=params,
                    continueAfterTimeout=True,
                )
            except self.faults.StatementTimeoutException:
                return Answer(rows=None, records=[], timed_out=True)
            except (
                self.faults.DatabaseResumingException,
                self.faults.HttpEndpointNotEnabledException,
            ) as exc:
                waiting_since = self._wait_to_ask_again(exc, waiting_since)
                continue
            except (
                self.faults.DatabaseErrorException,
                self.faults.BadRequestException,
                self.faults.DatabaseNotFoundException,
            ) as exc:
                raise SqlFailed(message_of(exc)) from exc
            except ClientError as exc:
                raise self._translate(exc) from exc
            except BotoCoreError as exc:
                raise translate(exc, "rds-data:ExecuteStatement", self.region) from exc
            records = [[_value(field) for field in row] for row in answer.get("records") or []]
            return Answer(rows=answer.get("numberOfRecordsUpdated"), records=records)

    def count(self, statement: Statement) -> int:
        """A query's one integer (a verification or a progress check).

        IAM: rds-data:ExecuteStatement, secretsmanager:GetSecretValue.
        """
        answer = self.execute(statement)
        if answer.timed_out:
            raise SqlFailed("the check itself ran longer than the Data API's 45 s call limit")
        try:
            return int(answer.records[0][0])
        except (IndexError, TypeError, ValueError) as exc:
            raise SqlFailed(f"the check returned {answer.records!r}, not one number") from exc

    def _wait_to_ask_again(self, exc: ClientError, since: float | None) -> float:
        """Sleep one poll interval before asking again; a WaitTimeout once the budget is spent."""
        now = self.budget.clock.monotonic()
        since = now if since is None else since
        shape = type(exc).__name__
        if now + self.budget.poll > self.budget.deadline:
            raise WaitTimeout(
                f"The Data API kept answering {shape} for {elapsed(now - since)}: {message_of(exc)}",
                fix=DATA_API_WAIT_FIX,
            )
        self.log(f"{self.budget.stamp()} Data API: {shape}; asking again in {self.budget.poll:g}s")
        self.budget.clock.sleep(self.budget.poll)
        return since

    def _translate(self, exc: ClientError) -> AwsError:
        if isinstance(exc, self.faults.ForbiddenException):
            # The Data API's own refusal: the role may not read the clone's secret or call it.
            return AwsError(
                f"The Data API refused to run statements in the clone: {message_of(exc)}",
                cause="The role this job assumes may not call rds-data:ExecuteStatement on the clone, "
                "or may not read the clone's secret (secretsmanager:GetSecretValue).",
                fix=DATA_API_FORBIDDEN_FIX,
            )
        return translate(exc, "rds-data:ExecuteStatement", self.region, policy=self.policy)
