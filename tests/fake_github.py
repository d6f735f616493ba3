"""A small fake of GitHub's REST API on 127.0.0.1, which PyGithub talks to over real HTTP."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeGitHub:
    """Issue comments and pull requests of any repository; every request is recorded."""

    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR number -> comments
    pulls: dict[int, str] = field(default_factory=dict)  # PR number -> 'open' / 'closed'
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status
    next_id: int = 1000
    url: str = ""
    next_link: str = ""

    def comment_bodies(self, pr: int) -> list[str]:
        return [c["body"] for c in self.comments.get(pr, [])]

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        self.requests.append((method, path))
        self.next_link = ""
        path = path.removeprefix("/api/v3")  # GitHub Enterprise Server's API prefix
        if self.fail_with:
            return self.fail_with, {"message": "Resource not accessible by integration"}
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
                    "user": {"login": "github-actions[bot]", "type": "Bot"},
                }
                self.comments.setdefault(pr, []).append(comment)
                return 201, comment
        if (m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)) and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(m.group(1)):
                        comment["body"] = body["body"]
                        return 200, comment
            return 404, {"message": "Not Found"}
        if re.fullmatch(r"/repos/[^/]+/[^/]+/pulls", path) and method == "GET":
            state = query.get("state", ["open"])[0]
            found = [{"number": n, "state": s} for n, s in sorted(self.pulls.items()) if state in ("all", s)]
            # GitHub's paging: per_page (at most 100) and page, and a Link header to the next page.
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            if page * per_page < len(found):
                self.next_link = (
                    f'<{self.url}{path}?state={state}&per_page={per_page}&page={page + 1}>; rel="next"'
                )
            return 200, found[(page - 1) * per_page : page * per_page]
        return 404, {"message": f"Not Found: {method} {path}"}


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
            if fake.next_link:
                self.send_header("Link", fake.next_link)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _respond

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
