"""One entry point for every file source: a scenario CSV or an inventory folder."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..core.errors import InputError
from ..core.pricebook import PriceBook, load_pricebook
from ..core.usage import Usage
from .inventory import read_inventory
from .scenario import read_scenario


def load(path: str | Path, prices: PriceBook | None = None) -> Usage:
    """Read a scenario CSV (a file) or an inventory folder (a directory) into Usage.

    Regions are checked against ``prices`` (the bundled price book by default)."""
    url = re.match(r"^(s3a?|gs|https?):/+(.*)$", str(path))  # a Path folds s3:// into s3:/
    if url:
        raise InputError(
            "inventories in object storage are not read directly yet (DuckDB's httpfs extension is not "
            "bundled): copy the prefix to a folder first (aws s3 sync URL DIR) and pass the folder",
            file=f"{url.group(1)}://{url.group(2)}",
        )
    path = Path(path)
    prices = prices or load_pricebook()
    if path.is_dir():
        return read_inventory(path, prices)
    if not path.exists():
        raise InputError("no such file or folder", file=path)
    if path.stem in ("images", "layers", "transfer") and path.suffix.lower() in (".csv", ".parquet"):
        raise InputError(f"this is one table of an inventory: pass its folder ({path.parent})", file=path)
    return read_scenario(path, prices)


def sample_path() -> Path:
    """The bundled sample registry (an inventory folder), wherever ecrcost is installed."""
    packaged = resources.files("ecrcost").joinpath("sample_registry")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "sample-registry"
