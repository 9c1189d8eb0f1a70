"""A small OpenAI-compatible chat server on loopback, for the LLM naming tests.

It answers ``POST /v1/chat/completions`` by ``mode``: ``answer`` (names made from the prompt's
first keyword, so a test knows what to expect), ``same`` (one name for every node; in every
answering mode, nodes asked to be told apart get distinct names), ``script`` (a ``<script>``
name), ``garbage`` (prose, no JSON), ``not-json`` (a body that is not a completion),
``error`` (HTTP 500), ``rate-limit`` (429 with ``Retry-After: 0``, then answers), ``slow``
(sleeps past the client's timeout).
Every request is recorded with its ``Authorization`` header.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A name that would run if a page put it in as markup (sets ``window.__pwned``).
SCRIPT_NAME = "<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>"


def expected_name(prompt: str) -> dict[str, str]:
    """What ``answer`` mode names a node whose prompt is ``prompt``."""
    english = re.search(r"^English keywords: ([^,\n]+)", prompt, re.M)
    chinese = re.search(r"^Chinese keywords: ([^,\n]+)", prompt, re.M)
    subtopics = re.search(r"^Its subtopics: ([^;\n]+)", prompt, re.M)
    seed = english.group(1) if english else (subtopics.group(1) if subtopics else "topic")
    seed = re.sub(r"[^A-Za-z0-9 -]", "", seed).strip() or "topic"
    return {
        "en": f"Stub {seed}",
        "zh": f"桩{chinese.group(1) if chinese else '主题'}",
    }


class StubLLM:
    """The server, started on ``127.0.0.1`` on a free port (a context manager)."""

    def __init__(self, mode: str = "answer", delay_s: float = 0.0) -> None:
        self.mode = mode
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._limited: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with stub._lock:
                    stub.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "authorization": self.headers.get("Authorization"),
                        }
                    )
                    stub.in_flight += 1
                    stub.most_in_flight = max(stub.most_in_flight, stub.in_flight)
                try:
                    stub.respond(self, body)
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        prompt = body["messages"][-1]["content"]
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.mode == "slow":
            time.sleep(3.0)
        if self.mode == "error":
            return _send(handler, 500, b'{"error": "boom"}')
        if self.mode == "rate-limit":
            with self._lock:
                first = prompt not in self._limited
                self._limited.add(prompt)
            if first:
                return _send(handler, 429, b'{"error": "slow down"}', {"Retry-After": "0"})
        if self.mode == "not-json":
            return _send(handler, 200, b"<html>proxy error</html>")
        if self.mode == "garbage":
            return _send(handler, 200, _completion("I think these abstracts are about cats."))
        if self.mode == "script":
            names = {"en": SCRIPT_NAME, "zh": "脚本<script>"}
        elif "same name" in prompt:  # asked to tell nodes apart: a distinct name each
            ids = re.findall(r"^Topic (\d+):", prompt, re.M)
            names = {i: {"en": f"Distinct {i}", "zh": f"不同{i}"} for i in ids}
        elif self.mode == "same":
            names = {"en": "Same name", "zh": "同名"}
        else:
            names = expected_name(prompt)
        return _send(handler, 200, _completion("```json\n" + json.dumps(names) + "\n```"))


def _completion(content: str) -> bytes:
    return json.dumps(
        {"object": "chat.completion", "choices": [{"message": {"content": content}}]}
    ).encode()


def _send(
    handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict | None = None
) -> None:
    # The client may have given up (its timeout): what the slow mode is for.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        _write(handler, status, data, headers)


def _write(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict | None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)
