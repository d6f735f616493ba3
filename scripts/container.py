"""Build the action's image from our Dockerfile and run it as the GitHub runner does, without Docker.

    python scripts/container.py build [--force]
    python scripts/container.py run --event EVENT.json [--event-name pull_request]

How, and what it needs: testkit/container.py, which the container test uses too.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testkit.container import main

if __name__ == "__main__":
    sys.exit(main())
