"""The pin check of `make lint`: what it refuses, with its exact message, and that the tree passes."""

from __future__ import annotations

import pytest

from scripts import check_pins

SHA = "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09"
DIGEST = "sha256:" + "ab" * 32
HASH = "--hash=sha256:" + "cd" * 32


@pytest.mark.parametrize(
    ("line", "allow_own", "message"),
    [
        (
            "      - uses: actions/checkout@v5",
            False,
            "w.yml:1: `uses: actions/checkout@v5` is not pinned to a full commit SHA: "
            "use `actions/checkout@<40-hex SHA> # vX.Y.Z`",
        ),
        (
            "        uses: github/codeql-action/upload-sarif@main",
            False,
            "w.yml:1: `uses: github/codeql-action/upload-sarif@main` is not pinned to a full commit SHA: "
            "use `github/codeql-action/upload-sarif@<40-hex SHA> # vX.Y.Z`",
        ),
        (
            f"      - uses: actions/checkout@{SHA[:12]} # v5.1.0",
            False,
            f"w.yml:1: `uses: actions/checkout@{SHA[:12]}` is not pinned to a full commit SHA: "
            "use `actions/checkout@<40-hex SHA> # vX.Y.Z`",
        ),
        (
            f"      - uses: actions/checkout@{SHA}",
            False,
            f"w.yml:1: `uses: actions/checkout@{SHA}` needs its version as a comment: `# vX.Y.Z`",
        ),
        (
            "        uses: org/aurora-clone-action@v1",
            False,
            "w.yml:1: `uses: org/aurora-clone-action@v1` is not pinned to a full commit SHA: "
            "use `org/aurora-clone-action@<40-hex SHA> # vX.Y.Z`",
        ),
        ("      - uses: docker://alpine:3", False, "w.yml:1: `uses: docker://alpine:3` is not pinned"),
    ],
)
def test_a_mutable_uses_is_refused(line: str, allow_own: bool, message: str) -> None:
    [problem] = check_pins.uses_problems("w.yml", line, allow_own)
    assert problem.startswith(message)


@pytest.mark.parametrize(
    ("line", "allow_own"),
    [
        (f"      - uses: actions/checkout@{SHA} # v5.1.0", False),
        (f"        uses: github/codeql-action/upload-sarif@{SHA} # v4.36.2", False),
        ("      - uses: ./", False),
        (f"      - uses: docker://alpine@{DIGEST}", False),
        ("        uses: org/aurora-clone-action@v1", True),
        ("        run: echo uses: actions/checkout@v5", False),
    ],
)
def test_a_pinned_or_local_uses_passes(line: str, allow_own: bool) -> None:
    assert check_pins.uses_problems("w.yml", line, allow_own) == []


def test_a_base_image_needs_a_digest_but_a_stage_does_not() -> None:
    dockerfile = (
        f"FROM python:3.12-slim@{DIGEST} AS build\n"
        "FROM build\n"
        "FROM debian:bookworm-slim\n"
        "FROM --platform=linux/amd64 python:3.12-slim\n"
    )
    assert check_pins.dockerfile_problems("Dockerfile", dockerfile) == [
        "Dockerfile:3: `FROM debian:bookworm-slim` has no digest: use "
        "`FROM debian:bookworm-slim@sha256:<digest>` (docker buildx imagetools inspect debian:bookworm-slim)",
        "Dockerfile:4: `FROM python:3.12-slim` has no digest: use "
        "`FROM python:3.12-slim@sha256:<digest>` (docker buildx imagetools inspect python:3.12-slim)",
    ]


@pytest.mark.parametrize(
    ("requirements", "lock", "problems"),
    [
        ("boto3==1.44.5\n", f"boto3==1.44.5 \\\n    {HASH}\n", []),
        (
            "ruamel.yaml==0.19.1  # YAML\n",
            f"ruamel-yaml==0.19.1 \\\n    {HASH}\n    # via -r requirements.txt\n",
            [],
        ),
        (
            "",
            f"cffi==2.1.1 ; platform_python_implementation != 'PyPy' \\\n    {HASH}\nsix==1.17.0\n",
            ["requirements.lock: six==1.17.0 has no --hash"],
        ),
        ("", f"six>=1.16 \\\n    {HASH}\n", ["requirements.lock: `six>=1.16` is not pinned with =="]),
        (
            "boto3==1.44.6\n",
            f"boto3==1.44.5 \\\n    {HASH}\n",
            [
                "requirements.lock: boto3==1.44.6 of requirements.txt is not in the lock: "
                "regenerate it (CONTRIBUTING.md)"
            ],
        ),
    ],
)
def test_the_lock_hashes_every_package_and_follows_requirements(
    requirements: str, lock: str, problems: list[str]
) -> None:
    assert check_pins.lock_problems(requirements, lock) == problems


def test_the_tree_is_pinned(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_pins.main() == 0
    assert "workflows pinned by SHA" in capsys.readouterr().out
