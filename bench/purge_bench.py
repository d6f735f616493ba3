"""Purge at scale: how many RDS and GitHub calls, and how long, for an account of 2,000 clusters.

Run by hand or by `make bench` (never by the tests); needs no network but 127.0.0.1:

    .venv/bin/python bench/purge_bench.py                          # 2,000 clusters, 200 expired
    .venv/bin/python bench/purge_bench.py --clusters 300 --expired 30

Everything is in moto in-process. moto answers DescribeDBClusters with every cluster at once, so
botocore hooks on the action's own client simulate RDS's pages (MaxRecords, default and most 100,
and an opaque Marker). A listing call is turned into a filter on the page's 100 ids before it
reaches moto, so moto serialises one page, not the whole account, for each call.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testkit.events import REPOSITORY  # noqa: E402
from testkit.fake_aws import make_clone, make_cluster  # noqa: E402
from testkit.runner import REGION  # noqa: E402

OTHER_REPOSITORIES = ("acme/billing", "acme/search", "globex/web")
SOURCE = "prod"
PAGE = 100  # RDS's largest (and default) MaxRecords for DescribeDBClusters
LIVE_SHARE = OTHER_SHARE = 0.15  # 300 live clones and 300 foreign ones in 2,000 clusters


def fake_aws_environment() -> None:
    """Fake credentials only, never real ones; the fake GitHub on 127.0.0.1 bypasses any proxy."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            # moto keeps an automated snapshot per instance and stops at 1,000 by default.
            "MOTO_RDS_SNAPSHOT_LIMIT": "1000000",
        }
    )
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name, ""), "127.0.0.1", "localhost"]))


class Account:
    """What the bench put in moto, by kind."""

    def __init__(self) -> None:
        self.expired: list[str] = []
        self.live: list[str] = []
        self.foreign: list[str] = []
        self.unmanaged: list[str] = []
        self.instances: list[str] = []
        self.live_prs: list[int] = []
        self.closed_prs: list[int] = []

    def all_ids(self) -> list[str]:
        return [SOURCE, *self.expired, *self.live, *self.foreign, *self.unmanaged]


def populate(rds: Any, clusters: int, expired: int, now: datetime) -> Account:
    """`clusters` clusters besides the source, created through the RDS API in a shuffled order."""
    live = round(clusters * LIVE_SHARE)
    foreign = round(clusters * OTHER_SHARE)
    if expired + live + foreign > clusters:
        raise SystemExit(f"--expired {expired} leaves no room for {live} live and {foreign} foreign clones")
    past = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    account = Account()
    plan: list[tuple[str, str, str, int, str]] = []  # kind, id, repository, pr, expiry
    for n in range(1, expired + 1):
        plan.append(("expired", f"{SOURCE}-pr-{n}", REPOSITORY, n, past))
    for n in range(expired + 1, expired + live + 1):
        plan.append(("live", f"{SOURCE}-pr-{n}", REPOSITORY, n, future))
        account.live_prs.append(n)
    for n in range(1, foreign + 1):
        repository = OTHER_REPOSITORIES[n % len(OTHER_REPOSITORIES)]
        slug = repository.replace("/", "-")
        plan.append(("foreign", f"{SOURCE}-{slug}-pr-{n}", repository, n, past if n % 2 else future))
    for n in range(1, clusters - expired - live - foreign + 1):
        plan.append(("unmanaged", f"analytics-{n}", "", 0, ""))
    random.Random(20261125).shuffle(plan)  # candidates spread over every page
    # Half the expired clones' PRs are closed too (still one reason each); a few closed PRs have no clone.
    account.closed_prs = [n for n in range(1, expired + 1) if n % 2] + list(range(90001, 90011))

    for kind, ident, repository, pr, expiry in plan:
        if kind == "unmanaged":
            make_cluster(rds, ident, tags=[{"Key": "team", "Value": "data"}])
            account.unmanaged.append(ident)
            continue
        make_clone(rds, ident, pr=pr, expires=expiry, repository=repository, instance=True)
        account.instances.append(f"{ident}-1")
        getattr(account, kind).append(ident)
    return account


class Recorder:
    """Every RDS operation the action's client sent, with its parameters as the action gave them.

    `at` holds when each call was sent, on the clock the action itself uses (its pacing's clock).
    """

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.log: list[tuple[str, dict[str, Any]]] = []
        self.at: list[float] = []
        self.seconds: Counter[str] = Counter()  # from the call's start to its parsed answer
        self.durations: list[float] = []
        self._started = 0.0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.log.append((model.name, dict(params)))
        self.at.append(self.clock.monotonic())
        self._started = time.perf_counter()

    def answered(self, model: Any, **_: Any) -> None:
        self.seconds[model.name] += time.perf_counter() - self._started
        self.durations.append(time.perf_counter() - self._started)

    def time_of(self, name: str, key: str) -> float:
        """Seconds spent in the calls of this operation that had this parameter."""
        return sum(d for (op, p), d in zip(self.log, self.durations, strict=True) if op == name and key in p)

    def by_operation(self) -> Counter[str]:
        return Counter(name for name, _ in self.log)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [params for op, params in self.log if op == name]


class Pager:
    """RDS's pagination of DescribeDBClusters, which moto lacks: MaxRecords (20..100, default 100), Marker.

    A listing call (no identifier, no filter) becomes, before moto sees it, a filter on the ids of
    its page, in moto's (creation) order; the Marker is the offset of the next page. A filtered call
    is cut to MaxRecords after moto answered. A call by DBClusterIdentifier is left alone.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "DBClusterIdentifier" in params:
            return
        size = int(params.pop("MaxRecords", PAGE))
        if not 20 <= size <= PAGE:
            raise ValueError(f"MaxRecords {size} is outside RDS's 20..100")
        start = int(params.pop("Marker", None) or 0)
        if "Filters" in params:
            context["bench_page"] = ("cut", start, size)
            return
        ids = list(self.backend.clusters)
        params["Filters"] = [{"Name": "db-cluster-id", "Values": ids[start : start + size] or ["-none-"]}]
        context["bench_page"] = ("listed", start + size, len(ids))

    def after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        page = context.get("bench_page")
        if page is None or "Error" in parsed:
            return
        kind, a, b = page
        if kind == "listed":
            following, total = a, b
        else:
            start, size = a, b
            found = parsed.get("DBClusters") or []
            parsed["DBClusters"] = found[start : start + size]
            following, total = start + size, len(found)
        if following < total:
            parsed["Marker"] = str(following)
        else:
            parsed.pop("Marker", None)


def busiest(times: list[float], window: float) -> int:
    """The most calls sent within any `window` seconds (both ends included)."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


def check_ages(recorder: Recorder) -> tuple[int, float]:
    """Delete calls not preceded by a describe of what they delete, and the oldest such describe's age.

    A cluster counts as described by DescribeDBClusters naming it (by identifier or in a filter); an
    instance by DescribeDBInstances naming it, or naming its cluster in a db-cluster-id filter (the
    bench's instances are named CLUSTER-1).
    """
    seen: dict[tuple[str, str], float] = {}
    unchecked, oldest = 0, 0.0
    for (name, params), at in zip(recorder.log, recorder.at, strict=True):
        if name in ("DescribeDBClusters", "DescribeDBInstances"):
            kind = "cluster" if name == "DescribeDBClusters" else "instance-of"
            for ident in [params.get("DBClusterIdentifier")] + [
                value for f in params.get("Filters") or [] for value in f.get("Values") or []
            ]:
                if ident:
                    seen[(kind, str(ident))] = at
            if params.get("DBInstanceIdentifier"):
                seen[("instance", str(params["DBInstanceIdentifier"]))] = at
        elif name in ("DeleteDBCluster", "DeleteDBInstance"):
            if name == "DeleteDBCluster":
                keys = [("cluster", str(params["DBClusterIdentifier"]))]
            else:
                ident = str(params["DBInstanceIdentifier"])
                keys = [("instance", ident), ("instance-of", ident.removesuffix("-1"))]
            looked = [seen[key] for key in keys if key in seen]
            if not looked:
                unchecked += 1
            else:
                oldest = max(oldest, at - max(looked))
    return unchecked, oldest


def check(results: list[tuple[str, bool]], name: str, ok: bool) -> None:
    results.append((name, ok))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=2000, help="clusters besides the source (2000)")
    parser.add_argument("--expired", type=int, default=200, help="expired clones of acme/shop (200)")
    args = parser.parse_args(argv)

    fake_aws_environment()
    setup_started = time.perf_counter()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    from clone_action.aws.rds import make_client
    from clone_action.clock import SystemClock
    from testkit.fake_aws import Account, Moto
    from testkit.fake_github import FakeGitHub, serve
    from testkit.runner import Job, run_in_process

    clock = SystemClock()
    moto = Moto()  # in this process: the pager reads moto's own list of clusters
    with tempfile.TemporaryDirectory(prefix="purge-bench-") as tmp:
        setup_rds = Account.fresh(moto).rds
        created_at = time.perf_counter()
        account = populate(setup_rds, args.clusters, args.expired, clock.now())
        create_seconds = time.perf_counter() - created_at
        backend = rds_backends[DEFAULT_ACCOUNT_ID][REGION]
        total_clusters = len(backend.clusters)
        total_instances = len(backend.databases)

        github = FakeGitHub()
        github.pulls.update({n: "open" for n in account.live_prs})
        github.pulls.update({n: "closed" for n in account.closed_prs})
        server, _ = serve(github)

        client = make_client()
        recorder = Recorder(clock)
        pager = Pager(backend)
        client.meta.events.register("provide-client-params.rds.*", recorder)
        client.meta.events.register("after-call.rds.*", recorder.answered)
        client.meta.events.register("before-parameter-build.rds.DescribeDBClusters", pager.before)
        client.meta.events.register("after-call.rds.DescribeDBClusters", pager.after)

        # A backlog of --expired clones is more than the default max-deletions (20): raised for
        # this run, as a user would after a dry run.
        inputs = {"mode": "purge", "max-deletions": str(max(args.expired, 1))}
        step = Job(Path(tmp)).step(inputs, {}, "workflow_dispatch", env={"GITHUB_API_URL": github.url})
        setup_seconds = time.perf_counter() - setup_started

        started = time.perf_counter()
        result = run_in_process(step, rds_client=client, clock=clock)  # type: ignore[arg-type]
        code = result.code
        purge_seconds = time.perf_counter() - started
        server.shutdown()

        purged = json.loads(result.outputs.get("purged") or "[]")
        remaining = set(backend.clusters)
        remaining_instances = len(backend.databases)
    moto.stop()

    calls = recorder.by_operation()
    describes = recorder.of("DescribeDBClusters")
    listing = [p for p in describes if "MaxRecords" in p]
    by_id = [p for p in describes if "DBClusterIdentifier" in p]
    by_filter = [p for p in describes if "Filters" in p]
    instance_calls = recorder.of("DescribeDBInstances")
    pages = math.ceil(total_clusters / PAGE)
    candidates = args.expired  # expired clones of acme/shop; the live ones' PRs are all open
    open_prs = len(account.live_prs)
    github_limit = max(1, math.ceil(open_prs / 100))
    expected_remaining = set(account.all_ids()) - set(account.expired)

    print(f"Purge bench: {args.clusters:,} clusters + source '{SOURCE}' in moto ({REGION})")
    print(
        f"  account        {len(account.expired)} expired and {len(account.live)} live clones of "
        f"{REPOSITORY}, "
        f"{len(account.foreign)} of other repositories, {len(account.unmanaged)} unmanaged; "
        f"{total_instances} DB instances"
    )
    print(
        f"  GitHub         {open_prs} open PRs, {len(account.closed_prs)} closed (FakeGitHub at {github.url})"
    )
    print(
        f"  setup          {setup_seconds:.1f} s "
        f"(clusters and instances through boto3: {create_seconds:.1f} s)"
    )
    print(f"  purge          {purge_seconds:.2f} s wall time of main() (exit code {code})")
    print(f"  pages          {total_clusters:,} clusters / {PAGE} a page = {pages} pages")
    print(f"  candidates     {candidates} expected; purged output lists {len(purged)}")
    print("  RDS calls by operation (and their time in botocore + moto):")
    for name, count in sorted(calls.items()):
        print(f"    {name:<22} {count:>5}  {recorder.seconds[name]:6.2f} s")
    print(
        f"    (DescribeDBClusters: {len(listing)} listing "
        f"{recorder.time_of('DescribeDBClusters', 'MaxRecords'):.2f} s, {len(by_id)} by identifier "
        f"{recorder.time_of('DescribeDBClusters', 'DBClusterIdentifier'):.2f} s, {len(by_filter)} by filter "
        f"{recorder.time_of('DescribeDBClusters', 'Filters'):.2f} s;\n     DescribeDBInstances: "
        f"{sum('Filters' in p for p in instance_calls)} by cluster filter, "
        f"{sum('DBInstanceIdentifier' in p for p in instance_calls)} by identifier)"
    )
    print(f"    listing Markers: {[p.get('Marker') for p in listing]}")
    print(
        f"  RDS calls      {sum(calls.values())} in all ({sum(calls.values()) / max(candidates, 1):.1f} "
        f"a candidate), {sum(recorder.seconds.values()):.2f} s of the purge's {purge_seconds:.2f} s"
    )
    print(f"  GitHub         {len(github.requests)} requests: {sorted(Counter(github.requests).items())}")
    deleted = len(set(account.expired) - remaining)
    total_calls = sum(calls.values())
    per_clone = total_calls / max(deleted, 1)
    one_second, ten_seconds = busiest(recorder.at, 1.0), busiest(recorder.at, 10.0)
    span = (max(recorder.at) - min(recorder.at)) if recorder.at else 0.0
    unchecked, oldest = check_ages(recorder)
    print(
        f"  per clone      {per_clone:.2f} RDS calls per deleted clone "
        f"({total_calls} calls, {deleted} deleted)"
    )
    print(
        f"  call rate      at most {one_second} calls in any 1 s and {ten_seconds} in any 10 s "
        f"({ten_seconds / 10:.1f}/s); {total_calls / max(span, 1e-9):.1f}/s over the {span:.1f} s of calls "
        "(the action's clock)"
    )
    print(
        f"  checks         {unchecked} delete calls without a describe of what they delete before them; "
        f"the oldest describe a delete relied on was {oldest:.1f} s old"
    )

    results: list[tuple[str, bool]] = []
    check(results, "main() exits 0", code == 0)
    check(
        results,
        f"DescribeDBClusters listing calls == pages ({len(listing)} == {pages})",
        len(listing) == pages,
    )
    check(
        results,
        f"describes by identifier <= candidates ({len(by_id)} <= {candidates})",
        len(by_id) <= candidates and {p["DBClusterIdentifier"] for p in by_id} <= set(account.expired),
    )
    check(
        results,
        f"GitHub requests <= ceil(open PRs / 100) ({len(github.requests)} <= {github_limit})",
        len(github.requests) <= github_limit,
    )
    check(results, f"purged == {args.expired} ({len(purged)})", sorted(purged) == sorted(account.expired))
    check(
        results,
        f"remaining clusters == {args.clusters - args.expired:,} + source ({len(remaining):,})",
        remaining == expected_remaining,
    )
    check(
        results,
        f"expired clones' instances deleted ({remaining_instances} == {total_instances - args.expired})",
        remaining_instances == total_instances - args.expired,
    )
    check(results, f"RDS calls per deleted clone <= 3 ({per_clone:.2f})", per_clone <= 3)
    check(results, f"RDS calls in any 1 s window < 10 ({one_second})", one_second < 10)
    check(
        results,
        f"RDS calls in any 10 s window < 100, under 10/s sustained ({ten_seconds})",
        ten_seconds < 100,
    )
    check(
        results,
        f"every delete call follows a describe of what it deletes ({unchecked} do not)",
        unchecked == 0,
    )
    print("Targets:")
    for name, ok in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    failed = [name for name, ok in results if not ok]
    if failed:
        print("\nThe action's log, last 40 lines:")
        print("\n".join(result.log.splitlines()[-40:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
