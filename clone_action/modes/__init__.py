"""The modes. Each module has the same three steps, which main.py runs from one table:

- `check(inputs, ctx) -> list[str]`: every input problem of the mode, before any network call;
- `plan(inputs, ctx, now) -> Plan`: what the run will work on, carrying the inputs and the run;
- `run(plan, wf, rds, clock)`: the calls to AWS, the files and GitHub.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from ..config import Action, Inputs
from ..context import RunContext

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway
    from ..clock import Clock
    from ..workflow import Workflow


@dataclass(frozen=True)
class Planned:
    """The inputs and the run a plan was made from: a mode's run reads them from its plan."""

    inputs: Inputs = field(repr=False)
    ctx: RunContext = field(repr=False)


class Plan(Protocol):
    """What every mode's plan tells main.py, for a cancelled run's report."""

    @property
    def clone_id(self) -> str: ...  # '' when the mode works on no single clone

    @property
    def expires_at(self) -> datetime | None: ...


class Mode(Protocol):
    def check(self, inputs: Inputs, ctx: RunContext) -> list[str]: ...

    def plan(self, inputs: Inputs, ctx: RunContext, now: datetime) -> Plan: ...

    def run(self, plan: Plan, wf: Workflow, rds: RdsGateway, clock: Clock) -> None: ...


# The one dispatch table: a mode's module is imported only when a run needs it (start-up time).
MODES: dict[Action, str] = {
    "clone": ".clone",
    "teardown": ".teardown",
    "purge": ".purge",
    "reset": ".reset",
    "refresh-base": ".base",
}


def load(name: Action) -> Mode:
    """The module of a mode, imported now."""
    return cast(Mode, importlib.import_module(MODES[name], __name__))
