"""How an RDS failure becomes an ActionError a person can act on, and Busy, RDS's passing refusal.

RDS faults are caught as the client's modelled exceptions (client.exceptions.<Shape>, typed by
the boto3 stubs) by the gateway's handlers; what no handler takes is translated here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError

from ..errors import (
    BAD_CREDENTIALS_FIX,
    CREDENTIALS_YAML,
    IAM_DOC,
    NO_CREDENTIALS_FIX,
    PURGE_YAML,
    QUOTA_FIX,
    THROTTLED_FIX,
    UNREACHABLE_FIX,
    AccessDenied,
    AwsError,
    access_denied_fix,
)
from . import iam

# A shape's name is not always its code on the wire (InvalidDBInstanceStateFault is sent as
# InvalidDBInstanceState), and botocore maps the wire code to the class; so only codes outside
# the RDS service model are written here: AWS's common errors
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


def message_of(exc: ClientError) -> str:
    """RDS's own message for the fault, else the exception's text."""
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def nothing(_: ClientError) -> None:
    """The handler of a fault that means there is nothing: not found, or already exists."""
    return None


def busy(kind: str, ident: str, *faults: type[Exception]) -> dict[type[Exception], Handler]:
    """Handlers of these faults: a refusal due to the state of the cluster or instance named, Busy."""

    def handler(exc: ClientError) -> Any:
        raise Busy(message_of(exc), kind, ident) from exc

    return dict.fromkeys(faults, handler)


def _access_denied(called: str, code: str, message: str, policy: str, purpose: str = "") -> AccessDenied:
    """The action IAM refused (named in its message, else the one called) and the example's statement."""
    denied = iam.denied_action(message, called)
    example = iam.statement(denied, policy, called, purpose)
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
        fix=access_denied_fix(denied, where),
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
    purpose: str = "",
) -> AwsError:
    """An AWS failure as a message a person can act on: what failed, the likely cause, the fix."""
    if isinstance(exc, NoCredentialsError):
        return AwsError(
            f"No AWS credentials were found for {action}.",
            cause=credentials_hint
            or "No earlier step in this job configured AWS credentials, or it ran without an OIDC token.",
            fix=NO_CREDENTIALS_FIX,
            snippet=CREDENTIALS_YAML,
        )
    if not isinstance(exc, ClientError):
        return AwsError(f"{action} could not reach AWS in {region}: {exc}", fix=UNREACHABLE_FIX)
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in ACCESS_DENIED:
        return _access_denied(action, code, message, policy, purpose)
    if quota:
        return AwsError(
            f"An AWS quota stopped {action} in {region} ({code}): {message}",
            cause="Too many clusters or instances in this account and region (40 clusters by default).",
            fix=QUOTA_FIX,
            snippet=PURGE_YAML,
        )
    if code in BAD_CREDENTIALS:
        return AwsError(
            f"AWS rejected the credentials for {action} ({code}): {message}",
            cause="The credentials expired (a long job), or belong to another account or partition.",
            fix=BAD_CREDENTIALS_FIX,
            snippet=CREDENTIALS_YAML,
        )
    if code in THROTTLED:
        return AwsError(
            f"AWS kept throttling {action} after retries ({code}): {message}",
            cause="Other tools in the account are calling the RDS API heavily.",
            fix=THROTTLED_FIX,
        )
    return AwsError(f"{action} failed ({code}): {message}")
