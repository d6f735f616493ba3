#!/usr/bin/env python3
"""Container entry point of aurora-clone-action."""

import sys

from clone_action.main import main

if __name__ == "__main__":
    sys.exit(main())
