"""How an AWS failure the gateway does not handle is told to a person: one row a kind of failure, with
the exact message, and the fix and snippet it comes with (clone_action.aws.translate)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from clone_action import errors
from clone_action.aws.translate import ACCESS_DENIED, BAD_CREDENTIALS, THROTTLED, translate

RESTORE = "rds:RestoreDBClusterToPointInTime"


def refused(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "RestoreDBClusterToPointInTime")


CASES = [
    pytest.param(
        refused("Throttling", "Rate exceeded"),
        {},
        f"AWS kept throttling {RESTORE} after retries (Throttling): Rate exceeded",
        errors.THROTTLED_FIX,
        "",
        id="throttled",
    ),
    pytest.param(
        refused("ExpiredToken", "The security token included in the request is expired"),
        {},
        f"AWS rejected the credentials for {RESTORE} (ExpiredToken): The security token included in the "
        "request is expired",
        errors.BAD_CREDENTIALS_FIX,
        errors.CREDENTIALS_YAML,
        id="expired-credentials",
    ),
    pytest.param(
        refused("DBClusterQuotaExceededFault", "Cannot create more than 40 clusters"),
        {"quota": True},
        f"An AWS quota stopped {RESTORE} in eu-west-1 (DBClusterQuotaExceededFault): Cannot create more "
        "than 40 clusters",
        errors.QUOTA_FIX,
        errors.PURGE_YAML,
        id="quota",
    ),
    pytest.param(
        refused("InvalidParameterCombination", "Port 0 is not valid"),
        {},
        f"{RESTORE} failed (InvalidParameterCombination): Port 0 is not valid",
        "",
        "",
        id="any-other-code",
    ),
    pytest.param(
        NoCredentialsError(),
        {},
        f"No AWS credentials were found for {RESTORE}.",
        errors.NO_CREDENTIALS_FIX,
        errors.CREDENTIALS_YAML,
        id="no-credentials",
    ),
    pytest.param(
        EndpointConnectionError(endpoint_url="https://rds.eu-west-1.amazonaws.com/"),
        {},
        f"{RESTORE} could not reach AWS in eu-west-1: Could not connect to the endpoint URL: "
        '"https://rds.eu-west-1.amazonaws.com/"',
        errors.UNREACHABLE_FIX,
        "",
        id="unreachable",
    ),
]


@pytest.mark.parametrize(("failure", "options", "message", "fix", "snippet"), CASES)
def test_a_failure_is_told_with_its_fix(
    failure: Exception, options: dict[str, Any], message: str, fix: str, snippet: str
) -> None:
    told = translate(failure, RESTORE, "eu-west-1", **options)

    assert told.message == message
    assert (told.fix or "") == fix
    assert told.snippet == snippet


def test_no_credentials_names_the_likely_cause_it_is_given() -> None:
    hint = "This pull request comes from the fork 'mallory/shop'."

    assert translate(NoCredentialsError(), RESTORE, "eu-west-1", hint).cause == hint


@pytest.mark.parametrize("code", sorted(ACCESS_DENIED))
def test_every_access_denied_code_names_the_action_and_quotes_the_example_statement(code: str) -> None:
    told = translate(refused(code, "not authorized"), "rds:CreateDBInstance", "eu-west-1")

    assert told.message == f"AWS denied rds:CreateDBInstance ({code}): not authorized"
    statement = json.loads(told.snippet or "")
    assert statement["Sid"] == "AddTaggedInstancesToClones"
    assert "rds:CreateDBInstance" in statement["Action"]


def test_access_denied_names_the_action_iam_refused_inside_the_one_called() -> None:
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized to perform: kms:DescribeKey "
        "on resource: arn:aws:kms:eu-west-1:123456789012:key/1"
    )

    told = translate(refused("AccessDenied", message), "rds:ModifyDBCluster", "eu-west-1")

    assert told.message == f"AWS denied kms:DescribeKey (for rds:ModifyDBCluster) (AccessDenied): {message}"
    assert "kms:DescribeKey" in json.loads(told.snippet or "")["Action"]


@pytest.mark.parametrize(
    ("codes", "fix"), [(BAD_CREDENTIALS, "BAD_CREDENTIALS_FIX"), (THROTTLED, "THROTTLED_FIX")]
)
def test_every_code_of_a_kind_gets_its_kinds_fix(codes: frozenset[str], fix: str) -> None:
    for code in sorted(codes):
        assert translate(refused(code, "m"), RESTORE, "eu-west-1").fix == getattr(errors, fix), code
