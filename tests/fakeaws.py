"""moto over real HTTP, with a small WSGI layer in front that does what moto does not: it pages
DescribeRepositories / DescribeImages (honouring maxResults, emitting nextToken), answers a share of
calls with ThrottlingException, and denies ECR in chosen regions (AccessDeniedException)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

PAGED = {"DescribeRepositories": "repositories", "DescribeImages": "imageDetails"}
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921."
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class Front:
    """The WSGI layer. ``throttle_every``: every n-th ECR/CloudWatch request is throttled (0 = never);
    ``denied_regions``: ECR answers AccessDeniedException there. ``requests`` counts what reached it."""

    def __init__(self) -> None:
        self.inner = DomainDispatcherApplication(create_backend_app)
        self.throttle_every = 0
        self.denied_regions: set[str] = set()
        self.requests: Counter[str] = Counter()
        self.throttled = 0
        self.throttled_ops: Counter[str] = Counter()
        self.pages: dict[str, tuple[str, list[Any]]] = {}
        self.lock = threading.Lock()
        self.count = 0

    def reset(self) -> None:
        with self.lock:
            self.throttle_every, self.denied_regions, self.throttled, self.count = 0, set(), 0, 0
            self.requests.clear()
            self.throttled_ops.clear()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.rsplit(".", 1)[-1] if target else ""
        match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else ""
        if not target:
            return self.inner(environ, start_response)
        with self.lock:
            self.requests[op] += 1
            self.count += 1
            throttle = bool(self.throttle_every) and self.count % self.throttle_every == 0
            self.throttled += throttle
            self.throttled_ops[op] += throttle
        if throttle:
            return _error(start_response, "ThrottlingException", "Rate exceeded")
        if target.startswith(ECR_TARGET) and region in self.denied_regions:
            return _error(start_response, "AccessDeniedException", f"not authorized to perform ecr:{op}")
        if target.startswith(ECR_TARGET) and op in PAGED:
            return self._page(environ, start_response, PAGED[op])
        return self.inner(environ, start_response)

    def _page(self, environ: dict, start_response: Callable, key: str) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        size = int(body.get("maxResults", 100))
        token = body.get("nextToken")
        if token:
            with self.lock:
                found = self.pages.pop(token, None)
            if found is None:
                return _error(start_response, "InvalidParameterException", "bad nextToken")
            items = found[1]
        else:
            status, answer = self._forward(environ, body)
            if not status.startswith("200"):
                return _raw(start_response, status, json.dumps(answer).encode())
            items = answer[key]
        out: dict[str, Any] = {key: items[:size]}
        if len(items) > size:
            token = uuid.uuid4().hex
            with self.lock:
                self.pages[token] = (key, items[size:])
            out["nextToken"] = token
        return _raw(start_response, "200 OK", json.dumps(out).encode())

    def _forward(self, environ: dict, body: dict) -> tuple[str, dict]:
        data = json.dumps({k: v for k, v in body.items() if k not in ("maxResults", "nextToken")}).encode()
        env = dict(environ, CONTENT_LENGTH=str(len(data)))
        env["wsgi.input"] = io.BytesIO(data)
        got: dict[str, Any] = {}

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            got["status"] = status
            return lambda _: None

        raw = b"".join(self.inner(env, start))
        return got["status"], json.loads(raw or b"{}")


def _raw(start_response: Callable, status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _error(start_response: Callable, code: str, message: str) -> list[bytes]:
    return _raw(start_response, "400 Bad Request", json.dumps({"__type": code, "message": message}).encode())


class Server:
    """``Front`` served over HTTP on a free local port, in a daemon thread."""

    def __init__(self) -> None:
        self.front = Front()
        self.httpd = make_server(
            "127.0.0.1", 0, self.front, threaded=True, request_handler=MotoRequestHandler
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
