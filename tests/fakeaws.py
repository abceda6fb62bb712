"""moto over real HTTP, with a small WSGI layer in front that does what moto does not: it pages
DescribeRepositories / DescribeImages and ECS's ListClusters / ListServices / ListTasks (honouring
maxResults, emitting nextToken) and Cost Explorer's
GetCostAndUsage (``page_size`` groups a page, emitting NextPageToken), answers a share of
calls with ThrottlingException, denies ECR in chosen regions (AccessDeniedException), and spoils chosen
answers (``faults``): a truncated or empty body, wrong types, out-of-range numbers, a changed manifest.

A fault is ``fault(body, request) -> bytes``: the real HTTP 200 body and the JSON request that asked
for it in, what to send instead (still with status 200, as a corporate proxy would) out. Faults apply
to the JSON protocols (ECR, and CloudWatch as botocore sends it: awsJson1.0 with X-Amz-Target) and,
as raw XML, to the query protocol (STS, EC2: the form's ``Action`` names the operation)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import urllib.parse
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
# ECS lists that moto answers in one page whatever maxResults asks
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
ECS_PAGED = {"ListClusters": "clusterArns", "ListServices": "serviceArns", "ListTasks": "taskArns"}
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")

Fault = Callable[[bytes, dict[str, Any]], bytes]


class Front:
    """The WSGI layer. ``throttle_every``: every n-th ECR/CloudWatch request is throttled (0 = never);
    ``denied_regions``: ECR answers AccessDeniedException there; ``page_size``: the most items a page
    holds whatever maxResults asks (AWS may return fewer); ``faults``: operation name → fault, applied
    to every 200 answer of that operation. ``requests`` counts what reached it, ``faulted`` the answers
    a fault changed."""

    def __init__(self) -> None:
        self.inner = DomainDispatcherApplication(create_backend_app)
        self.throttle_every = 0
        self.denied_regions: set[str] = set()
        self.page_size: int | None = None
        self.faults: dict[str, Fault] = {}
        self.pull_through: dict[str, list[str]] = {}  # region -> pull-through cache rule prefixes
        # region -> CloudTrail records LookupEvents answers with (moto's LookupEvents knows no events)
        self.trail_events: dict[str, list[dict[str, Any]]] = {}
        # region -> Inspector2 ListCoverage's coveredResources (moto has no ListCoverage); a region
        # in ``inspector_errors`` answers that error code instead (e.g. AccessDeniedException)
        self.coverage: dict[str, list[dict[str, Any]]] = {}
        self.inspector_errors: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        # REST requests (S3): method, decoded path?query, Range header
        self.rest: list[tuple[str, str, str]] = []
        self.faulted: Counter[str] = Counter()
        self.throttled = 0
        self.throttled_ops: Counter[str] = Counter()
        self.pages: dict[str, tuple[str, list[Any]]] = {}
        self.lock = threading.Lock()
        self.count = 0

    def reset(self) -> None:
        with self.lock:
            self.throttle_every, self.denied_regions, self.throttled, self.count = 0, set(), 0, 0
            self.page_size = None
            self.pull_through.clear()
            self.trail_events.clear()
            self.coverage.clear()
            self.inspector_errors.clear()
            self.rest.clear()
            self.faults.clear()
            self.faulted.clear()
            self.requests.clear()
            self.throttled_ops.clear()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.rsplit(".", 1)[-1] if target else ""
        match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else ""
        if environ.get("PATH_INFO") == "/coverage/list":  # Inspector2 (rest-json, no X-Amz-Target)
            return self._coverage(environ, start_response, region)
        if not target:
            where = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
            with self.lock:
                self.rest.append(
                    (environ["REQUEST_METHOD"], urllib.parse.unquote(where), environ.get("HTTP_RANGE", ""))
                )
            return self._query(environ, start_response)
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
        if target.startswith(ECR_TARGET) and op == "DescribePullThroughCacheRules" and op not in self.faults:
            # moto has no pull-through cache: the front answers with the rules a test set per region
            rules = [
                {"ecrRepositoryPrefix": p, "upstreamRegistryUrl": "public.ecr.aws"}
                for p in self.pull_through.get(region, [])
            ]
            return _raw(start_response, "200 OK", json.dumps({"pullThroughCacheRules": rules}).encode())
        if op == "LookupEvents" and op not in self.faults:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            return _raw(start_response, *self._lookup_page(region, request))
        fault = self.faults.get(op)
        cost_pages = op == "GetCostAndUsage" and bool(self.page_size)
        paged = PAGED.get(op) if target.startswith(ECR_TARGET) else None
        paged = ECS_PAGED.get(op) if target.startswith(ECS_TARGET) else paged
        if not fault and not cost_pages and not paged:
            return self.inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(length)
        request = json.loads(data or b"{}")
        if cost_pages:
            status, body = self._cost_page(environ, request)
        elif paged:
            status, body = self._page(environ, request, paged)
        else:
            status, body = self._forward(environ, data)
        if fault and status.startswith("200"):
            body = self._spoil(op, fault, body, request)
        return _raw(start_response, status, body)

    def _spoil(self, op: str, fault: Fault, body: bytes, request: dict[str, Any]) -> bytes:
        spoiled = fault(body, request)
        if spoiled != body:
            with self.lock:
                self.faulted[op] += 1
        return spoiled

    def _query(self, environ: dict, start_response: Callable) -> Any:
        """Query-protocol calls (STS, EC2: a form with ``Action``): passed on, or spoiled by a fault."""
        is_form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        if not self.faults or not is_form:
            return self.inner(environ, start_response)
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = {k: v[0] for k, v in urllib.parse.parse_qs(data.decode()).items()}
        op = request.get("Action", "")
        status, body = self._forward(environ, data)
        fault = self.faults.get(op)
        if fault and status.startswith("200"):
            body = self._spoil(op, fault, body, request)
        return _raw(start_response, status, body, "text/xml")

    def _page(self, environ: dict, request: dict, key: str) -> tuple[str, bytes]:
        size = int(request.get("maxResults", 100))
        if self.page_size:
            size = min(size, self.page_size)
        token = request.get("nextToken")
        if token:
            with self.lock:  # tokens stay valid, as AWS's do: a retried page asks with the same one
                found = self.pages.get(token)
            if found is None:
                return "400 Bad Request", _error_body("InvalidParameterException", "bad nextToken")
            items = found[1]
        else:
            data = json.dumps({k: v for k, v in request.items() if k not in ("maxResults", "nextToken")})
            status, raw = self._forward(environ, data.encode())
            if not status.startswith("200"):
                return status, raw
            items = json.loads(raw)[key]
        out: dict[str, Any] = {key: items[:size]}
        if len(items) > size:
            token = uuid.uuid4().hex
            with self.lock:
                self.pages[token] = (key, items[size:])
            out["nextToken"] = token
        return "200 OK", json.dumps(out).encode()

    def _coverage(self, environ: dict, start_response: Callable, region: str) -> Any:
        """Inspector2's ListCoverage over ``coverage[region]``: resourceType EQUALS filters, pages of
        maxResults (at most 200, and at most ``page_size``) with a nextToken; a fault of
        "ListCoverage" spoils the answers it chooses."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        with self.lock:
            self.requests["ListCoverage"] += 1
        if region in self.inspector_errors:
            code = self.inspector_errors[region]
            status = "403 Forbidden" if code == "AccessDeniedException" else "400 Bad Request"
            body = json.dumps({"message": f"{code} for ListCoverage"}).encode()
            start_response(
                status,
                [
                    ("Content-Type", "application/json"),
                    ("x-amzn-ErrorType", code),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        types = {
            f["value"]
            for f in request.get("filterCriteria", {}).get("resourceType", [])
            if f.get("comparison") == "EQUALS"
        }
        found = [r for r in self.coverage.get(region, []) if not types or r["resourceType"] in types]
        size = min(int(request.get("maxResults", 200)), 200, self.page_size or 200)
        offset = int(request.get("nextToken") or 0)
        out: dict[str, Any] = {"coveredResources": found[offset : offset + size]}
        if offset + size < len(found):
            out["nextToken"] = str(offset + size)
        body = json.dumps(out).encode()
        fault = self.faults.get("ListCoverage")
        if fault:
            body = self._spoil("ListCoverage", fault, body, request)
        return _raw(start_response, "200 OK", body, "application/json")

    def _lookup_page(self, region: str, request: dict) -> tuple[str, bytes]:
        """CloudTrail's LookupEvents over ``trail_events``: EventSource attribute, StartTime/EndTime
        (epoch seconds, as botocore sends them), newest first, pages of MaxResults (at most 50, and at
        most ``page_size``) with a NextToken."""
        import datetime as dt

        start, end = float(request.get("StartTime", 0)), float(request.get("EndTime", 1e12))
        wanted = {
            a["AttributeValue"]
            for a in request.get("LookupAttributes", [])
            if a["AttributeKey"] == "EventSource"
        }
        events = []
        for record in self.trail_events.get(region, []):
            at = dt.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).timestamp()
            if start <= at < end and (not wanted or record.get("eventSource") in wanted):
                events.append((at, record))
        events.sort(key=lambda e: -e[0])
        size = min(int(request.get("MaxResults", 50)), 50, self.page_size or 50)
        offset = int(request.get("NextToken") or 0)
        page = events[offset : offset + size]
        out: dict[str, Any] = {
            "Events": [
                {
                    "EventId": r.get("eventID", ""),
                    "EventName": r["eventName"],
                    "ReadOnly": "true",
                    "EventTime": at,
                    "EventSource": r["eventSource"],
                    "Resources": [],
                    "CloudTrailEvent": json.dumps(r),
                }
                for at, r in page
            ]
        }
        if offset + size < len(events):
            out["NextToken"] = str(offset + size)
        return "200 OK", json.dumps(out).encode()

    def _cost_page(self, environ: dict, request: dict) -> tuple[str, bytes]:
        """Cost Explorer's GetCostAndUsage in pages of ``page_size`` groups: moto answers the query
        without the token (the same answer every time), the front hands out one window of its groups
        and a ``NextPageToken`` (the offset) while more remain."""
        offset = int(request.pop("NextPageToken", None) or 0)
        status, raw = self._forward(environ, json.dumps(request).encode())
        if not status.startswith("200"):
            return status, raw
        answer = json.loads(raw)
        size = self.page_size or 1
        more = False
        for result in answer.get("ResultsByTime", []):
            groups = result.get("Groups", [])
            result["Groups"] = groups[offset : offset + size]
            more = more or len(groups) > offset + size
        answer.pop("NextPageToken", None)
        if more:
            answer["NextPageToken"] = str(offset + size)
        return "200 OK", json.dumps(answer).encode()

    def _forward(self, environ: dict, data: bytes) -> tuple[str, bytes]:
        env = dict(environ, CONTENT_LENGTH=str(len(data)))
        env["wsgi.input"] = io.BytesIO(data)
        got: dict[str, Any] = {}

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            got["status"] = status
            return lambda _: None

        raw = b"".join(self.inner(env, start))
        return got["status"], raw


# Faults: each takes (body, request) and returns the body to send.


def truncated(body: bytes, request: dict[str, Any]) -> bytes:
    """The first half of the answer: a connection cut short behind a proxy."""
    return body[: len(body) // 2]


def empty(body: bytes, request: dict[str, Any]) -> bytes:
    return b"{}"


def edit(change: Callable[[dict[str, Any]], Any]) -> Fault:
    """The answer as JSON, changed in place by ``change`` (whatever it returns is ignored)."""

    def fault(body: bytes, request: dict[str, Any]) -> bytes:
        doc = json.loads(body)
        change(doc)
        return json.dumps(doc).encode()

    return fault


def times(n: int, fault: Fault) -> Fault:
    """``fault`` for the first ``n`` answers, the real answer after."""
    left = [n]
    lock = threading.Lock()

    def once(body: bytes, request: dict[str, Any]) -> bytes:
        with lock:
            left[0] -= 1
            spoil = left[0] >= 0
        return fault(body, request) if spoil else body

    return once


def where(test: Callable[[dict[str, Any]], bool], fault: Fault) -> Fault:
    """``fault`` for the answers whose request passes ``test``, the real answer for the others."""
    return lambda body, request: fault(body, request) if test(request) else body


def _raw(
    start_response: Callable, status: str, body: bytes, kind: str = "application/x-amz-json-1.1"
) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


def _error(start_response: Callable, code: str, message: str) -> list[bytes]:
    return _raw(start_response, "400 Bad Request", _error_body(code, message))


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
