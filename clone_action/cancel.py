"""Cancellation: the runner's SIGINT (SIGTERM 7.5 s later, then a kill) ends the run with a report.

The signal handler raises at once in the main thread, which interrupts any AWS or GitHub call
and any sleep, so the run stops in milliseconds, not at the next poll. What the run changed is
kept in a Ledger as it goes, so the report needs no further call to say what exists now.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(BaseException):
    """The runner cancelled the job. A BaseException, so no `except Exception` on its way catches it."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)


@contextlib.contextmanager
def cancellable() -> Iterator[None]:
    """While inside, the first SIGINT or SIGTERM raises Cancelled; later ones are ignored.

    Ignoring the later ones lets the report of the first be written whole (the runner sends
    SIGTERM 7.5 s after SIGINT). Outside the main thread, where Python delivers no signal,
    nothing is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Cancelled(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# What each changing RDS call did, as a person would say it: (answered, no answer yet).
_SAID = {
    "RestoreDBClusterToPointInTime": ("created the clone '{}'", "asked RDS to create the clone '{}'"),
    "CreateDBInstance": ("added the DB instance '{}'", "asked RDS to add the DB instance '{}'"),
    "ModifyDBCluster": ("changed the settings of '{}'", "asked RDS to change the settings of '{}'"),
    "StartDBCluster": ("started the stopped cluster '{}'", "asked RDS to start '{}'"),
    "DeleteDBInstance": ("started deleting the DB instance '{}'", "asked RDS to delete the DB instance '{}'"),
    "DeleteDBCluster": ("started deleting the cluster '{}'", "asked RDS to delete the cluster '{}'"),
    "AddTagsToResource": ("updated the tags of '{}'", "asked RDS to update the tags of '{}'"),
    "DisableHttpEndpoint": (
        "turned off the Data API of '{}'",
        "asked RDS to turn off the Data API of '{}'",
    ),
    "EnableHttpEndpoint": (
        "enabled the Data API of the clone '{}'",
        "asked RDS to enable the Data API of the clone '{}'",
    ),
}


@dataclass
class Change:
    action: str
    target: str
    answered: bool = False

    def __str__(self) -> str:
        done, asked = _SAID.get(
            self.action, (f"called {self.action} on '{{}}'", f"called {self.action} on '{{}}'")
        )
        text = (done if self.answered else asked).format(self.target)
        return text if self.answered else f"{text} (no answer yet: RDS may have done it)"


@dataclass
class Ledger:
    """What this run has changed in AWS so far, and what it is doing now."""

    changes: list[Change] = field(default_factory=list)
    doing: str = ""
    found: str = ""  # what the run found in place before it changed anything ("the clone 'x' existed")

    def asked(self, action: str, target: str) -> Change:
        change = Change(action, target.rsplit(":", 1)[-1])
        self.changes.append(change)
        return change

    def said(self, most: int = 0) -> str:
        """'created the clone 'x'; added the DB instance 'x-1'', or '' when nothing changed.

        `most`: name at most that many changes, then how many more (a purge makes hundreds).
        """
        shown = self.changes[:most] if most else self.changes
        text = "; ".join(str(change) for change in shown)
        left = len(self.changes) - len(shown)
        return f"{text}; and {left} more (the job summary lists them)" if left else text
