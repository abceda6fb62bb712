"""ecrcost: what an Amazon ECR registry costs, who causes it, and what would change it.

Notebook use::

    import ecrcost
    usage = ecrcost.load("data/sample-registry")      # scenario CSV or inventory folder
    result = ecrcost.estimate(usage, month="2026-10")
    result.repositories()                               # DataFrame, USD as Decimal
    result.total_usd                                    # Decimal
"""

from . import breakdown
from .errors import InputError
from .load import load, sample_path
from .model import estimate
from .period import Month
from .pricebook import PriceBook, load_pricebook
from .result import Estimate
from .usage import Usage

__version__ = "0.1.0"
__all__ = [
    "Estimate",
    "InputError",
    "Month",
    "PriceBook",
    "Usage",
    "__version__",
    "breakdown",
    "estimate",
    "load",
    "load_pricebook",
    "sample_path",
]
