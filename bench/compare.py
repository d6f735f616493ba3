"""The action against the AWS CLI, side by side: start-up, the clone + teardown flow, and image size.

Run by `make bench` (never by the tests); it needs no network but 127.0.0.1:

    .venv/bin/python bench/compare.py                 # 20 start-up runs, 5 flows of each
    .venv/bin/python bench/compare.py --runs 10 --repeats 3

(a) start-up: `python entrypoint.py` on an event that does nothing (push, an empty payload, the
    runner's environment) against `aws --version`, with hyperfine when it is installed, else a loop
    timed with time.perf_counter.
(b) clone + teardown: entrypoint.py on a `labeled` then a `closed` pull_request event against
    bench/cli_flow.sh, the same flow scripted with the AWS CLI, both against one moto server on
    127.0.0.1 (AWS_ENDPOINT_URL) that counts the API requests it answers. The server is reset and
    the source cluster made again before every run.
(c) the image size from build/image-size.txt, which the container test writes.

Prints a table with PASS/FAIL per target and writes it as markdown to build/bench-results.md.
Exits 1 when a target is missed, 2 when a flow itself fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGION = "eu-west-1"
REPOSITORY = "acme/shop"
SOURCE = "prod"
PR = 7
LABEL = "clone-db"
CLONE_ID = f"{SOURCE}-pr-{PR}"  # action.yml's default clone-id template, {source}-pr-{pr}
CLI_FLOW = ROOT / "bench" / "cli_flow.sh"
IMAGE_SIZE = ROOT / "build" / "image-size.txt"
RESULTS = ROOT / "build" / "bench-results.md"
FLOW_TIMEOUT = 120

STARTUP_RATIO = 0.5  # the no-op run under half the time of `aws --version`
FLOW_RATIO = 0.5  # the action's clone + teardown at most half the CLI script's wall time
IMAGE_LIMIT_MB = 200.0


# --- the runner's environment -------------------------------------------------------------------


class Runner:
    """One job on the runner (testkit.runner): its workspace, and a step's variables for each run."""

    def __init__(self, base: Path, endpoint: str) -> None:
        from testkit.runner import Job

        self.job = Job(base)
        self.workspace = self.job.dir("workspace")
        self.endpoint = endpoint

    def env(
        self, event_name: str, event: dict[str, Any], inputs: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The step's variables; PATH holds the venv's bin (the CLI flow's `aws`). GitHub is a closed
        port: a GitHub call fails at once and never leaves the host."""
        step = self.job.step(
            {"source-cluster": SOURCE, **(inputs or {})},
            event,
            event_name,
            env={
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true",  # never probe the instance metadata address
            },
        )
        return step.env


def pr_event(action: str, label: str = "") -> dict[str, Any]:
    """A pull_request payload as GitHub sends it (testkit's)."""
    from testkit.events import pr_event as build

    return build(action, number=PR, labels=(LABEL,), label=label)


# --- statistics and the AWS CLI -----------------------------------------------------------------


@dataclass
class Timing:
    mean_ms: float
    stdev_ms: float
    runs: int

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Timing:
        values = [s * 1000 for s in seconds]
        return cls(
            statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values)
        )

    def __str__(self) -> str:
        return f"{self.mean_ms:.0f} ± {self.stdev_ms:.0f} ms"


def aws_cli() -> str:
    """The venv's `aws` (pip install awscli), else one on PATH."""
    venv_aws = Path(sys.executable).parent / "aws"
    found = str(venv_aws) if venv_aws.exists() else shutil.which("aws")
    if not found:
        sys.exit(
            "bench: the AWS CLI is missing; install it with `.venv/bin/pip install -r requirements-dev.txt`"
        )
    return found


def aws_version(aws: str) -> str:
    out = subprocess.run([aws, "--version"], capture_output=True, text=True, check=True, timeout=60)
    return (out.stdout or out.stderr).strip()


# --- (a) start-up -------------------------------------------------------------------------------


def startup(
    noop: list[str], cli: list[str], env: dict[str, str], cwd: Path, runs: int, warmup: int
) -> tuple[Timing, Timing, str]:
    """Mean and stdev of each command; hyperfine when it is there, else a perf_counter loop."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "hyperfine.json"
            subprocess.run(
                [
                    hyperfine,
                    "--shell=none",
                    "--warmup",
                    str(warmup),
                    "--runs",
                    str(runs),
                    "--style",
                    "none",
                    "--export-json",
                    str(export),
                    shlex.join(noop),
                    shlex.join(cli),
                ],
                env=env,
                cwd=cwd,
                check=True,
                capture_output=True,
                timeout=600,
            )
            results = json.loads(export.read_text(encoding="utf-8"))["results"]
        timings = [Timing.of(r["times"]) for r in results]
        version = subprocess.run([hyperfine, "--version"], capture_output=True, text=True, check=False)
        return timings[0], timings[1], f"{version.stdout.strip()}, {warmup} warmup + {runs} runs each"

    def loop(command: list[str]) -> Timing:
        times = []
        for i in range(warmup + runs):
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, timeout=60)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        return Timing.of(times)

    # Interleaved rounds would be fairer still; sequential keeps it as simple as hyperfine's.
    return loop(noop), loop(cli), f"time.perf_counter loop, {warmup} warmup + {runs} runs each"


# --- (b) the clone + teardown flow against one counting moto server ------------------------------


class Moto:
    """One moto server on 127.0.0.1 that counts the requests it answers (testkit.fake_aws)."""

    def __init__(self) -> None:
        from testkit.fake_aws import Moto as Server

        self.server = Server(in_process=False)
        self.url = self.server.url
        self.source: dict[str, Any] = {}

    def fresh_source(self) -> None:
        """Reset the server and make the source cluster 'prod' (with its groups, instance and tags)."""
        from testkit.fake_aws import Account

        self.source = Account.fresh(self.server).source

    def take(self) -> Counter[str]:
        """The calls since the last look."""
        return self.server.calls()

    def clusters(self) -> list[str]:
        from testkit.fake_aws import Account

        ids = Account(self.server, self.source).cluster_ids()
        self.server.calls()
        return ids

    def stop(self) -> None:
        self.server.stop()


@dataclass
class FlowResult:
    seconds: list[float] = field(default_factory=list)
    calls: list[Counter[str]] = field(default_factory=list)

    def timing(self) -> Timing:
        return Timing.of(self.seconds)

    def calls_per_run(self) -> str:
        totals = sorted({sum(c.values()) for c in self.calls})
        return "/".join(str(t) for t in totals)

    def breakdown(self) -> str:
        last = self.calls[-1]
        return ", ".join(
            f"{action} {n}" for action, n in sorted(last.items(), key=lambda kv: (-kv[1], kv[0]))
        )


class FlowFailed(Exception):
    pass


def check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0 or "::error" in proc.stdout:
        raise FlowFailed(f"{what} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def action_flow(runner: Runner) -> None:
    """entrypoint.py on `labeled` (clone), then on `closed` (teardown), as two runner steps."""
    inputs = {"poll-interval": "1", "comment": "false"}
    for event in (pr_event("labeled", label=LABEL), pr_event("closed")):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "entrypoint.py")],
            cwd=runner.workspace,
            env=runner.env("pull_request", event, inputs),
            capture_output=True,
            text=True,
            timeout=FLOW_TIMEOUT,
            check=False,
        )
        check(proc, f"entrypoint.py ({event['action']})")


def cli_flow(runner: Runner, moto: Moto, aws: str) -> None:
    """bench/cli_flow.sh with the same environment, the AWS CLI on PATH."""
    env = runner.env("pull_request", pr_event("labeled", label=LABEL))
    proc = subprocess.run(
        [
            "bash",
            str(CLI_FLOW),
            SOURCE,
            CLONE_ID,
            str(moto.source["subnet_group"]),
            str(moto.source["security_group"]),
        ],
        cwd=runner.workspace,
        env={**env, "AWS": aws},
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT,
        check=False,
    )
    check(proc, "bench/cli_flow.sh")
    if "endpoint=" not in proc.stdout or "endpoint=None" in proc.stdout:
        raise FlowFailed(f"bench/cli_flow.sh read no endpoint:\n{proc.stdout}")


def flows(moto: Moto, runner: Runner, aws: str, repeats: int) -> tuple[FlowResult, FlowResult]:
    """One unmeasured round, then `repeats` rounds of action then CLI, each on a fresh source."""
    action, cli = FlowResult(), FlowResult()
    runs: list[tuple[FlowResult, Callable[[], None]]] = [
        (action, lambda: action_flow(runner)),
        (cli, lambda: cli_flow(runner, moto, aws)),
    ]
    for round_no in range(repeats + 1):
        for result, run in runs:
            moto.fresh_source()
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            calls = moto.take()
            left = moto.clusters()
            if left != [SOURCE]:
                raise FlowFailed(f"after a flow the server still has the clusters {left}")
            if round_no:  # round 0 warms the disk cache and the bytecode
                result.seconds.append(elapsed)
                result.calls.append(calls)
    return action, cli


# --- (c) image size -----------------------------------------------------------------------------


def image_size_mb(path: Path = IMAGE_SIZE) -> tuple[float | None, str]:
    """The size in MB (10^6 bytes) from the container test's file; raw text for the report."""
    if not path.exists():
        return None, "not measured (run the container test)"
    text = path.read_text(encoding="utf-8").strip()
    m = re.search(r"(\d+(?:\.\d+)?)\s*([KMG]i?B|[kKMG]|B|bytes)?\b", text)
    if not m:
        return None, f"unreadable ({text[:60]!r})"
    value, unit = float(m.group(1)), (m.group(2) or "").lower()
    factor = {
        "kb": 1e-3,
        "k": 1e-3,
        "kib": 1024 / 1e6,
        "mb": 1.0,
        "m": 1.0,
        "mib": 1024**2 / 1e6,
        "gb": 1e3,
        "g": 1e3,
        "gib": 1024**3 / 1e6,
        "b": 1e-6,
        "bytes": 1e-6,
    }.get(unit)
    if factor is None:  # a bare number: bytes when it is large, else MB
        factor = 1e-6 if value > 100_000 else 1.0
    return value * factor, text


# --- the report ---------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="start-up runs of each command (20)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured start-up runs first (3)")
    parser.add_argument("--repeats", type=int, default=5, help="clone + teardown flows of each (5)")
    args = parser.parse_args()
    aws = aws_cli()
    cli_version = aws_version(aws)
    print(f"bench: {cli_version}", flush=True)

    moto = Moto()
    try:
        with tempfile.TemporaryDirectory(prefix="aurora-clone-bench-") as tmp:
            runner = Runner(Path(tmp), moto.url)

            print("bench: (a) start-up ...", flush=True)
            noop_env = runner.env("push", {})
            proc = subprocess.run(
                [sys.executable, str(ROOT / "entrypoint.py")],
                cwd=runner.workspace,
                env=noop_env,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            if proc.returncode != 0 or "Nothing to do" not in proc.stdout:
                raise FlowFailed(f"the no-op run did something else:\n{proc.stdout}\n{proc.stderr}")
            noop, cli_start, method = startup(
                [sys.executable, str(ROOT / "entrypoint.py")],
                [aws, "--version"],
                noop_env,
                runner.workspace,
                args.runs,
                args.warmup,
            )

            print(f"bench: (b) clone + teardown, 1 warm-up + {args.repeats} rounds ...", flush=True)
            action, cli = flows(moto, runner, aws, args.repeats)
    except FlowFailed as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        moto.stop()

    size, size_text = image_size_mb()
    a_ok = noop.mean_ms < STARTUP_RATIO * cli_start.mean_ms
    b_ok = action.timing().mean_ms <= FLOW_RATIO * cli.timing().mean_ms
    c_ok = None if size is None else size < IMAGE_LIMIT_MB
    rows = [
        ("Measure", "aurora-clone-action", "AWS CLI", "ratio", "target", "result"),
        (
            "(a) start-up, no-op event vs `aws --version`",
            str(noop),
            str(cli_start),
            f"{noop.mean_ms / cli_start.mean_ms:.2f}",
            f"< {STARTUP_RATIO:g}",
            verdict(a_ok),
        ),
        (
            f"(b) clone + teardown wall time, mean of {args.repeats}",
            str(action.timing()),
            str(cli.timing()),
            f"{action.timing().mean_ms / cli.timing().mean_ms:.2f}",
            f"≤ {FLOW_RATIO:g}",
            verdict(b_ok),
        ),
        (
            "(b) AWS API calls per flow",
            action.calls_per_run(),
            cli.calls_per_run(),
            "",
            "",
            "",
        ),
        (
            "(c) image size",
            f"{size:.0f} MB" if size is not None else size_text,
            "",
            "",
            f"< {IMAGE_LIMIT_MB:g} MB",
            verdict(c_ok),
        ),
    ]
    notes = [
        f"Start-up: {method}; the action runs `python entrypoint.py` on a push event with an empty "
        "payload and the runner's environment (no AWS call).",
        "Flow: the action is two runs of entrypoint.py (`labeled`, then `closed`; poll-interval 1, "
        "comment false); the CLI is bench/cli_flow.sh (restore copy-on-write, create-db-instance, "
        "wait db-cluster-available and db-instance-available, describe-db-clusters, delete-db-instance, "
        "delete-db-cluster --skip-final-snapshot, wait db-cluster-deleted). Both against one moto "
        "server on 127.0.0.1, reset with a fresh source before each run, after one unmeasured round.",
        "moto makes a clone available, and deletes it, at once: no waiter or poll loop sleeps here. "
        "On a real account the waiting dominates both (the CLI's waiters check every 30 s, the action "
        "every poll-interval), so these times measure process start-up and API calls only.",
        f"Action calls: {action.breakdown()}.",
        f"CLI calls: {cli.breakdown()}.",
        f"{cli_version}; Python {platform.python_version()}; {os.cpu_count()} CPUs.",
    ]
    if size is not None:
        notes.append(f"Image size from build/image-size.txt: {size_text!r}.")

    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for note in notes:
        print(f"- {note}")

    markdown = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    markdown += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
    markdown += ["", *(f"- {note}" for note in notes)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(markdown) + "\n", encoding="utf-8")
    print(f"\nbench: wrote {RESULTS.relative_to(ROOT)}")
    return 0 if a_ok and b_ok and c_ok is not False else 1


if __name__ == "__main__":
    sys.exit(main())
