"""The monthly finance export: FOCUS 1.2 cost-and-usage rows, or one spreadsheet row per repository.
Both sum to the estimate's total to the cent."""

from .focus import focus_frame
from .simple import simple_frame

__all__ = ["focus_frame", "simple_frame"]
