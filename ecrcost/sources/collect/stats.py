"""Counting what a collection sent: API calls per operation and HTTP attempts (retries included)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class CallStats:
    """Thread-safe counters fed by botocore events; keys like ``ecr.DescribeImages``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_call(self, event_name: str, **_: Any) -> None:
        with self.lock:
            self.calls[_operation(event_name)] += 1

    def on_send(self, event_name: str, **_: Any) -> None:
        with self.lock:
            self.attempts[_operation(event_name)] += 1

    def total(self, operation: str) -> int:
        return self.calls.get(operation, 0)


def _operation(event_name: str) -> str:
    # "before-call.ecr.DescribeImages" -> "ecr.DescribeImages"
    return ".".join(event_name.split(".")[1:3])
