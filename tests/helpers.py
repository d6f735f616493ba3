"""Kept only for tests/integration/test_manifest_clone.py (another agent's file) until it imports
pr_event from testkit.events itself; nothing else may import it."""

from __future__ import annotations

from testkit.events import pr_event

__all__ = ["pr_event"]
