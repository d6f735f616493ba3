"""What the action is built from cannot change under a tag: fail on anything mutable.

- every `uses:` in the example and project workflows, and in the YAML that error messages and
  the README show users to paste, names a full 40-hex commit SHA with its
  version as a comment (`owner/repo@<sha> # v1.2.3`); local (`./`) and `docker://...@sha256:`
  references pass, and so does this action itself on its major tag in the examples (the
  README's "Versions" says why);
- every `FROM` in the Dockerfile carries a digest (`image:tag@sha256:...`);
- every package in requirements.lock has a hash, and each pin of requirements.txt is in it at
  the same version (a lock left behind by a bump fails).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ("examples/workflows", ".github/workflows")
# Workflow YAML that error messages show users to paste (errors.py's templates).
SNIPPETS = ("clone_action/errors.py", "README.md")
# The examples show users the major tag of this action (README, "Versions").
OWN_ACTION = "org/aurora-clone-action@v1"
# No container registry was reachable when the digest pin was added, so the base image's digest
# could not be looked up from a source. Pin it (`docker buildx imagetools inspect
# python:3.12-slim`), then empty this set; until then the check prints a warning for it.
BASE_DIGEST_PENDING = frozenset({"python:3.12-slim"})

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*?))?\s*$")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(?:\.\d+)*$")
FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)", re.IGNORECASE)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>\S+?)(?:\s*;.*)?$"
)
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalize(name: str) -> str:
    """PEP 503: `ruamel.yaml`, `ruamel_yaml` and `Ruamel-YAML` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def uses_problems(name: str, text: str, allow_own: bool) -> list[str]:
    """Each `uses:` of a workflow that a tag or branch could change under it."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = USES.match(line)
        if not match:
            continue
        ref, comment = match["ref"].strip("'\""), match["comment"]
        if ref.startswith("./") or (ref.startswith("docker://") and DIGEST.search(ref)):
            continue
        if allow_own and ref == OWN_ACTION:
            continue
        if not PINNED.match(ref):
            problems.append(
                f"{name}:{number}: `uses: {ref}` is not pinned to a full commit SHA: "
                f"use `{ref.split('@')[0]}@<40-hex SHA> # vX.Y.Z`"
            )
        elif not (comment and VERSION_COMMENT.match(comment)):
            problems.append(f"{name}:{number}: `uses: {ref}` needs its version as a comment: `# vX.Y.Z`")
    return problems


def dockerfile_problems(name: str, text: str, pending: frozenset[str] = frozenset()) -> list[str]:
    """Each base image named by a tag only (a tag can be pushed again; a digest cannot)."""
    problems = []
    stages: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = FROM.match(line)
        if not match:
            continue
        image = match["image"]
        if alias := re.search(r"\s+AS\s+(\S+)\s*$", line, re.IGNORECASE):
            stages.add(alias[1].lower())
        if image.lower() in stages or image == "scratch" or DIGEST.search(image) or image in pending:
            continue
        problems.append(
            f"{name}:{number}: `FROM {image}` has no digest: use `FROM {image}@sha256:<digest>` "
            f"(docker buildx imagetools inspect {image})"
        )
    return problems


def lock_entries(text: str) -> dict[str, tuple[str, int]]:
    """requirements.lock's packages: normalized name -> (version, number of hashes)."""
    entries: dict[str, tuple[str, int]] = {}
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = len(HASH.findall(line))
        spec = HASH.sub("", line).strip()
        match = REQUIREMENT.match(spec)
        key = normalize(match["name"]) if match else spec
        entries[key] = (match["version"] if match else "", hashes)
    return entries


def lock_problems(requirements: str, lock: str) -> list[str]:
    """A package of the lock without a hash or an exact pin, or a pin of requirements.txt it lacks."""
    problems = []
    entries = lock_entries(lock)
    for name, (version, hashes) in entries.items():
        if not version:
            problems.append(f"requirements.lock: `{name}` is not pinned with ==")
        elif hashes == 0:
            problems.append(f"requirements.lock: {name}=={version} has no --hash")
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        match = REQUIREMENT.match(line)
        if not match:
            continue
        name, version = normalize(match["name"]), match["version"]
        if entries.get(name, ("", 0))[0] != version:
            problems.append(
                f"requirements.lock: {name}=={version} of requirements.txt is not in the lock: "
                "regenerate it (CONTRIBUTING.md)"
            )
    return problems


def main() -> int:
    problems: list[str] = []
    count = 0
    for folder in WORKFLOWS:
        for path in sorted((ROOT / folder).glob("*.yml")):
            count += 1
            problems += uses_problems(
                f"{folder}/{path.name}", path.read_text(), folder.startswith("examples")
            )
    for name in SNIPPETS:
        problems += uses_problems(name, (ROOT / name).read_text(), allow_own=True)
    dockerfile = (ROOT / "Dockerfile").read_text()
    problems += dockerfile_problems("Dockerfile", dockerfile, BASE_DIGEST_PENDING)
    for image in sorted(BASE_DIGEST_PENDING):
        if f"FROM {image}\n" in dockerfile:
            print(f"pins: warning: Dockerfile: `FROM {image}` still has no digest (BASE_DIGEST_PENDING)")
    problems += lock_problems(
        (ROOT / "requirements.txt").read_text(), (ROOT / "requirements.lock").read_text()
    )
    for problem in problems:
        print(f"pins: {problem}", file=sys.stderr)
    if not problems:
        print(f"pins: {count} workflows pinned by SHA, requirements.lock hashed and in step")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
