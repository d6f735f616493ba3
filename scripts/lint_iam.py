"""parliament over every policy in examples/iam/, less the exceptions of examples/iam/lint-exceptions.yaml.

parliament locates a finding by line only, so each is matched to the statement it is in (by its
Sid, the first key of every statement) and an exception names the file, the Sid and the finding's
issue code, with the reason it stays. An exception that matches nothing fails too: it is stale.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml
from parliament import analyze_policy_string, enhance_finding

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "examples" / "iam"
EXCEPTIONS = POLICIES / "lint-exceptions.yaml"
_SID = re.compile(r'^\s*"Sid": "([^"]+)"')


def sid_at(text: str, line: int) -> str:
    """The Sid of the statement holding this line (parliament points at its `{` or inside it)."""
    found = ""
    for number, content in enumerate(text.splitlines(), start=1):
        match = _SID.match(content)
        if match and number <= line + 1:
            found = match.group(1)
    return found


def findings() -> list[tuple[str, str, str, str]]:
    """(file, Sid, issue, detail) of every parliament finding, community auditors included."""
    out = []
    for path in sorted(POLICIES.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # a malformed file fails here with the parser's message
        policy = analyze_policy_string(text, path.name, include_community_auditors=True)
        for finding in policy.findings:
            finding = enhance_finding(finding)
            line = int(finding.location.get("line", 0))
            out.append((path.name, sid_at(text, line), finding.issue, str(finding.detail)))
    return out


def main() -> int:
    allowed = yaml.safe_load(EXCEPTIONS.read_text(encoding="utf-8"))["exceptions"]
    keys = {(e["file"], e["sid"], e["issue"]) for e in allowed}
    used = set()
    failed = 0
    for file, sid, issue, detail in findings():
        if (file, sid, issue) in keys:
            used.add((file, sid, issue))
            continue
        failed += 1
        print(f"examples/iam/{file}: statement {sid or '(none)'}: {issue}: {detail}")
    for stale in sorted(keys - used):
        failed += 1
        print(f"{EXCEPTIONS.relative_to(ROOT)}: exception {stale} matches no finding; remove it")
    if not failed:
        print(f"parliament: {len(list(POLICIES.glob('*.json')))} policies, {len(used)} documented exceptions")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
