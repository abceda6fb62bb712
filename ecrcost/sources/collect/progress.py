"""A progress bar over registries, repositories and images on a terminal; silent otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

PARTS = ("registries", "repositories", "images")


class Bars:
    """``grow(part, n)`` when more work is found, ``advance(part, n)`` when done. Thread-safe."""

    def __init__(self, enabled: bool | None = None, parts: tuple[str, ...] = PARTS) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        if self.enabled:
            self.progress = Progress(
                TextColumn("{task.description:<13}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.tasks = {p: self.progress.add_task(p, total=0) for p in parts}

    def __enter__(self) -> Bars:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress:
            self.progress.stop()

    def grow(self, part: str, n: int = 1) -> None:
        if self.progress:
            with self.lock:
                task = self.tasks[part]
                total = self.progress.tasks[task].total or 0
                self.progress.update(task, total=total + n)

    def advance(self, part: str, n: int = 1) -> None:
        if self.progress:
            with self.lock:
                self.progress.advance(self.tasks[part], n)
