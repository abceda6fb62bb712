"""How a use-case says what it is doing: ``step("Pricing")`` wraps a phase. The CLI passes a spinner;
by default nothing is shown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Step = Callable[[str], AbstractContextManager[object]]


def quiet(message: str) -> AbstractContextManager[object]:
    return nullcontext()
