"""A small fake of GitHub's REST API on 127.0.0.1, which PyGithub talks to over real HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, unquote, urlparse

SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True)
class Failure:
    """One answer GitHub gives instead of the real one: to the next request whose path ends with `path`."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # '' for any request, '/graphql' for the GraphQL API
    method: str = ""  # '' for any method

    def matches(self, method: str, path: str) -> bool:
        return path.endswith(self.path) and self.method in ("", method)


# Retry-After: 0 lets PyGithub's retry go again at once (GitHub sends the seconds to wait).
BAD_GATEWAY = Failure(502, "Server Error")
RATE_LIMITED = Failure(403, SECONDARY_RATE_LIMIT, {"Retry-After": "0"})


@dataclass
class FakeGitHub:
    """Issue comments and pull requests of any repository; every request is recorded."""

    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR number -> comments
    pulls: dict[int, str] = field(default_factory=dict)  # PR number -> 'open' / 'closed'
    labels: dict[int, list[str]] = field(default_factory=dict)  # PR number -> its labels' names
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status
    failures: list[Failure] = field(default_factory=list)  # each answers one request, then is gone
    viewer: str = "github-actions[bot]"  # the token's user: GraphQL's viewer, the author of new comments
    next_id: int = 1000
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # extra headers of the answer being sent

    def reset(self) -> None:
        """Back to a GitHub that knows no pull request and answers every request."""
        self.comments.clear()
        self.pulls.clear()
        self.labels.clear()
        self.requests.clear()
        self.fail_with = None
        self.failures.clear()
        self.viewer = "github-actions[bot]"

    def comment_bodies(self, pr: int) -> list[str]:
        return [c["body"] for c in self.comments.get(pr, [])]

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        self.requests.append((method, path))
        self.headers = {}
        if self.fail_with:
            return self.fail_with, {"message": "Resource not accessible by integration"}
        for i, failure in enumerate(self.failures):
            if failure.matches(method, path):
                del self.failures[i]
                self.headers = dict(failure.headers)
                return failure.status, {"message": failure.message}
        if path in ("/graphql", "/api/graphql") and method == "POST":  # GHES: /api/graphql
            if re.fullmatch(r"query\s*\{\s*viewer\s*\{\s*login\s*\}\s*\}", body["query"].strip()):
                return 200, {"data": {"viewer": {"login": self.viewer}}}
            return 200, {"errors": [{"message": f"the fake knows only viewer.login: {body['query']}"}]}
        path = path.removeprefix("/api/v3")  # GitHub Enterprise Server's API prefix
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments", path):
            pr = int(m.group(3))
            if method == "GET":
                return 200, self.comments.get(pr, [])
            if method == "POST":
                self.next_id += 1
                owner, repo = m.group(1), m.group(2)
                comment = {
                    "id": self.next_id,
                    "body": body["body"],
                    "url": f"{self.url}/repos/{owner}/{repo}/issues/comments/{self.next_id}",
                    "user": {
                        "login": self.viewer,
                        "type": "Bot" if self.viewer.endswith("[bot]") else "User",
                    },
                }
                self.comments.setdefault(pr, []).append(comment)
                return 201, comment
        if (m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)) and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(m.group(1)):
                        # Like GitHub: a token with write access edits anyone's comment.
                        comment["body"] = body["body"]
                        return 200, comment
            return 404, {"message": "Not Found"}
        if (
            m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/labels/([^/]+)", path)
        ) and method == "DELETE":
            # Remove a label from an issue (a PR is an issue): the remaining labels, or 404 when
            # the issue does not carry it. Label names compare without regard to case, as on GitHub.
            number, name = int(m.group(1)), unquote(m.group(2))
            labels = self.labels.get(number, [])
            kept = [label for label in labels if label.casefold() != name.casefold()]
            if len(kept) == len(labels):
                return 404, {"message": "Label does not exist"}
            self.labels[number] = kept
            return 200, [{"name": label} for label in kept]
        if (m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)", path)) and method == "GET":
            number = int(m.group(1))
            if number not in self.pulls:
                return 404, {"message": "Not Found"}
            return 200, self.pull(number)
        if re.fullmatch(r"/repos/[^/]+/[^/]+/pulls", path) and method == "GET":
            state = query.get("state", ["open"])[0]
            found = [self.pull(n) for n, s in sorted(self.pulls.items()) if state in ("all", s)]
            # GitHub's paging: per_page (at most 100) and page, and a Link header to the next page.
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            if page * per_page < len(found):
                self.headers["Link"] = (
                    f'<{self.url}{path}?state={state}&per_page={per_page}&page={page + 1}>; rel="next"'
                )
            return 200, found[(page - 1) * per_page : page * per_page]
        return 404, {"message": f"Not Found: {method} {path}"}

    def pull(self, number: int) -> dict[str, Any]:
        """A pull request as GitHub's REST API shows it (the fields the action reads)."""
        labels = [{"name": name} for name in self.labels.get(number, [])]
        return {"number": number, "state": self.pulls[number], "labels": labels}


@contextmanager
def instant_retries() -> Iterator[list[float]]:
    """The waits between retries that urllib3 would sleep (Retry-After, backoff), recorded instead.

    The product's retry policy is unchanged: only urllib3's own `time` is swapped, in its retry module.
    """
    import urllib3.util.retry

    waits: list[float] = []
    with patch.object(urllib3.util.retry, "time", SimpleNamespace(sleep=waits.append, time=time.time)):
        yield waits


def serve(fake: FakeGitHub) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start the fake on 127.0.0.1 at a free port; fake.url is its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parsed = urlparse(self.path)
            status, payload = fake.handle(
                self.command, parsed.path, parse_qs(parsed.query), json.loads(raw) if raw else None
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in fake.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _respond

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
