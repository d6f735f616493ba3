"""No RDS error code is typed by hand: every one named in the code is a fault of the service model.

botocore's RDS model (data/rds/2014-10-31/service-2.json) names each fault by a shape, and sends
it on the wire under a code that is not always the shape's name: InvalidDBInstanceStateFault
arrives as InvalidDBInstanceState. The gateway catches client.exceptions.<Shape>; these tests
make sure that every name it uses is a shape, that no wire code is compared by hand, and that the
codes outside the model (IAM denials, throttling, credentials) are ones AWS documents or sends.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from botocore.retries.standard import ThrottledRetryableChecker

from clone_action.aws.translate import ACCESS_DENIED, BAD_CREDENTIALS, THROTTLED
from testkit import rds_model

ROOT = Path(__file__).resolve().parents[2]
ERRORISH = re.compile(
    r"^[A-Z][A-Za-z]+(Fault|Exception|Exceeded|Denied|NotFound|State|Exists|Token|Failure)$"
)


def literals(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def product_literals() -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): literals(p) for p in sorted((ROOT / "clone_action").rglob("*.py"))}


def test_every_fault_the_gateway_catches_is_a_fault_shape_of_the_model() -> None:
    faults = rds_model.faults()
    caught = set(re.findall(r"self\.faults\.(\w+)", (ROOT / "clone_action/aws/rds.py").read_text()))
    assert caught >= {"DBClusterNotFoundFault", "DBInstanceNotFoundFault", "InvalidDBInstanceStateFault"}
    assert sorted(caught - set(faults)) == []


def caught_by_operation() -> dict[str, set[str]]:
    """{operation: the fault shapes the gateway handles for it}: every self.faults.<Shape> in a call
    whose first argument names the operation (_call("DeleteDBCluster", on={...}), _delete(...))."""
    operations = set(rds_model.service_model().operation_names)
    tree = ast.parse((ROOT / "clone_action/aws/rds.py").read_text())
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        if node.args[0].value not in operations:
            continue
        shapes = {
            n.attr
            for part in [*node.args[1:], *(k.value for k in node.keywords)]
            for n in ast.walk(part)
            if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Attribute)
            and n.value.attr == "faults"
        }
        found.setdefault(str(node.args[0].value), set()).update(shapes)
    return found


def test_each_operation_handles_only_faults_the_model_says_it_raises() -> None:
    model = rds_model.service_model()
    caught = caught_by_operation()
    assert set(caught) >= {"DescribeDBClusters", "CreateDBInstance", "DeleteDBInstance", "StartDBCluster"}
    wrong = {
        operation: sorted(shapes - {e.name for e in model.operation_model(operation).error_shapes})
        for operation, shapes in caught.items()
    }
    assert {op: shapes for op, shapes in wrong.items() if shapes} == {}


def test_no_wire_code_that_differs_from_its_shape_is_written_in_the_code() -> None:
    """A hand-typed 'InvalidDBInstanceState' or 'DBInstanceNotFound' would compare codes by hand."""
    renamed = {str(s.error_code) for name, s in rds_model.faults().items() if s.error_code != name}
    assert "InvalidDBInstanceState" in renamed
    found = {path: sorted(texts & renamed) for path, texts in product_literals().items() if texts & renamed}
    assert found == {}


def test_every_error_name_in_the_code_is_a_fault_shape_or_a_documented_common_code() -> None:
    known = set(rds_model.faults()) | set(rds_model.COMMON_ERRORS) | set(rds_model.SEEN_FROM_RDS)
    known |= set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    unknown = {
        path: sorted(t for t in texts if ERRORISH.match(t) and t not in known)
        for path, texts in product_literals().items()
    }
    assert {path: names for path, names in unknown.items() if names} == {}


def test_the_codes_outside_the_model_are_documented_or_sent_by_rds() -> None:
    documented = set(rds_model.COMMON_ERRORS) | set(rds_model.SEEN_FROM_RDS)
    assert documented >= ACCESS_DENIED
    assert documented >= BAD_CREDENTIALS
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) >= THROTTLED
    assert not (ACCESS_DENIED | BAD_CREDENTIALS | THROTTLED) & rds_model.wire_codes()


def test_fault_injection_takes_the_wire_code_from_the_model() -> None:
    _, parsed = rds_model.fault("InvalidDBInstanceStateFault", "Instance is creating")()
    assert parsed["Error"]["Code"] == "InvalidDBInstanceState"
    _, parsed = rds_model.fault("DBClusterQuotaExceededFault")()
    assert (parsed["Error"]["Code"], parsed["ResponseMetadata"]["HTTPStatusCode"]) == (
        "DBClusterQuotaExceededFault",
        403,
    )


@pytest.mark.parametrize("name", ["InvalidDBInstanceState", "DBInstanceNotFound", "ClusterBusyFault"])
def test_fault_injection_refuses_a_name_that_is_not_a_fault_shape(name: str) -> None:
    with pytest.raises(KeyError):
        rds_model.fault(name)


def test_state_injection_refuses_a_state_the_guide_does_not_list() -> None:
    with pytest.raises(AssertionError, match="not an Aurora cluster state"):
        rds_model.statuses("prod-pr-7", ["creating", "failed"])
