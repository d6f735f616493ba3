"""actionlint over the example workflows, with their `with:` keys checked against our action.yml.

actionlint checks the inputs of a local action (`uses: ./`) only, so the examples are copied
into a scratch repository where `org/aurora-clone-action@v1` is that local action.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USES = "uses: org/aurora-clone-action@v1"


def main() -> int:
    actionlint = Path(sys.executable).with_name("actionlint")
    with tempfile.TemporaryDirectory(prefix="actionlint-") as tmp:
        repo = Path(tmp)
        workflows = repo / ".github" / "workflows"
        workflows.mkdir(parents=True)
        shutil.copy(ROOT / "action.yml", repo / "action.yml")
        shutil.copy(ROOT / "Dockerfile", repo / "Dockerfile")
        # actionlint resolves `uses: ./` from the root of a git repository.
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        sources = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
        for source in sources:
            text = source.read_text()
            if USES not in text:
                print(f"actionlint: {source.name} does not use {USES}", file=sys.stderr)
                return 1
            (workflows / source.name).write_text(text.replace(USES, "uses: ./"))
        result = subprocess.run(
            [str(actionlint), "-shellcheck=", "-pyflakes=", *(str(workflows / s.name) for s in sources)],
            cwd=repo,
            check=False,
        )
    own = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    result_own = subprocess.run([str(actionlint), *(str(w) for w in own)], cwd=ROOT, check=False)
    if result.returncode == 0 and result_own.returncode == 0:
        print(
            f"actionlint: {len(sources)} example workflows ok (inputs checked against action.yml), "
            f"{len(own)} of the project's own ok"
        )
    return result.returncode or result_own.returncode


if __name__ == "__main__":
    sys.exit(main())
