"""One entry point for every file source: a scenario CSV, an inventory folder, or an inventory under
``s3://bucket/prefix``."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ..core.errors import InputError
from ..core.pricebook import PriceBook, load_pricebook
from ..core.usage import Usage
from .inventory import LayerForm, read_inventory, read_remote_inventory
from .objectstore import URL
from .scenario import read_scenario
from .select import Select, narrowed


def load(
    path: str | Path,
    prices: PriceBook | None = None,
    *,
    accounts: Iterable[str] = (),
    regions: Iterable[str] = (),
    image_columns: Iterable[str] | None = None,
    layers: LayerForm = "auto",
) -> Usage:
    """Read a scenario CSV (a file), an inventory folder (a directory, plain or partitioned by
    ``account_id=…/region=…``) or an inventory under ``s3://bucket/prefix`` into Usage.

    Regions are checked against ``prices`` (the bundled price book by default). ``accounts`` and
    ``regions``: only these are read (a partition folder of another is never opened) and priced.
    ``image_columns``: only these columns of a Parquet inventory's images are read (pricing needs
    :data:`~ecrcost.sources.select.PRICED_IMAGE_COLUMNS`); the others come back empty. ``layers``: "text"
    (every column of :data:`~ecrcost.core.usage.LAYER_COLUMNS`), "keyed" (a Parquet inventory's layers
    as image rows and blob ids, no text: docs/scale.md) or "auto" (keyed from 20 million layer rows)."""
    select = Select.of(accounts, regions, image_columns)
    prices = prices or load_pricebook()
    url = URL.match(str(path))  # a Path folds s3:// into s3:/
    if url:
        where = f"{url.group(1)}://{url.group(2)}".replace("s3a://", "s3://", 1)
        if url.group(1) not in ("s3", "s3a"):
            raise InputError(
                "only s3:// inventories are read in place: copy this one to a folder and pass the folder",
                file=where,
            )
        return read_remote_inventory(where, prices, select)
    path = Path(path)
    if path.is_dir():
        return read_inventory(path, prices, select, layers)
    if not path.exists():
        raise InputError("no such file or folder", file=path)
    if path.stem in ("images", "layers", "transfer") and path.suffix.lower() in (".csv", ".parquet"):
        raise InputError(f"this is one table of an inventory: pass its folder ({path.parent})", file=path)
    return narrowed(read_scenario(path, prices), select)


def sample_path() -> Path:
    """The bundled sample registry (an inventory folder), wherever ecrcost is installed."""
    packaged = resources.files("ecrcost").joinpath("sample_registry")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "sample-registry"
