"""Price-book use-cases shared by the CLI and notebooks: build a book from the AWS Price List
(:func:`refresh_book`), and compare two books, alone or by what they do to one input's estimate
(:func:`compare`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import InputError
from ..core.pricepatch import nearest

if TYPE_CHECKING:
    import pandas as pd

    from ..sources.pricelist.refresh import Refreshed


def refresh_book(
    regions: Sequence[str] = (),
    endpoint_url: str | None = None,
    offers: Path | None = None,
    today: str | None = None,
    attempts: int = 6,
) -> Refreshed:
    """The bundled book refreshed from the AWS Price List: through the Query API (boto3 ``pricing``,
    honouring ``AWS_ENDPOINT_URL_PRICING`` or ``endpoint_url``), or from the bulk offer files in
    ``offers`` (a folder laid out as AWS's ``/offers/v1.0/aws/``). ``regions``: only these (default:
    every region of the book); ``attempts``: per API call, retries included. Raises
    :class:`~ecrcost.sources.pricelist.offers.PriceListError` when
    the Price List cannot be read, :class:`InputError` for a bad region or offer file."""
    from ..core.pricebook import PriceBook, _bundled_doc
    from ..sources.pricelist.offers import OfferFolder, QueryApi, Source
    from ..sources.pricelist.refresh import refresh

    base = json.loads(_bundled_doc())
    known = list(base["regions"])
    for region in regions:
        if region not in known:
            raise InputError(f"region '{region}' is not in the price book{nearest(region, known)}",
                             field="region")  # fmt: skip
    if offers is not None and not offers.is_dir():
        raise InputError("not a folder of offer files", file=offers)
    source: Source = OfferFolder(offers) if offers is not None else QueryApi(endpoint_url, attempts)
    fetched = today or datetime.now(UTC).date().isoformat()
    result = refresh(base, source, list(dict.fromkeys(regions)) or known, fetched)
    PriceBook(result.doc, "refresh")  # the new book must read as a book before anyone writes it
    return result


def book_json(doc: dict[str, Any]) -> str:
    """A price book document as written to a file (the bundled book's layout)."""
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Comparison:
    """What changed between two price books: ``figures`` (one row per figure that differs: region,
    item, tier, old and new price, change) and, given an input, ``charges`` (its estimate's charges
    under each book, USD) with the totals."""

    old: dict[str, str]
    new: dict[str, str]
    figures: pd.DataFrame
    charges: pd.DataFrame | None = None
    total_old: Decimal | None = None
    total_new: Decimal | None = None


def compare(old: str | Path | None, new: str | Path | None, input: Path | None = None,
            month: str | None = None) -> Comparison:  # fmt: skip
    """Compare price books ``old`` and ``new`` (paths; None or ``bundled``: the bundled book)."""
    import pandas as pd

    from ..core.pricebook import load_pricebook

    books = [load_pricebook(None if p in (None, "bundled") else p) for p in (old, new)]
    key = ["region", "item", "tier"]
    a, b = (bk.table()[[*key, "price", "confidence"]] for bk in books)
    both = a.merge(b, on=key, how="outer", suffixes=("_old", "_new"), indicator="side")
    both = both[(both["side"] != "both") | (both["price_old"].astype(str) != both["price_new"].astype(str))]
    rows = []
    for r in both.itertuples(index=False):
        old_p = None if r.side == "right_only" else Decimal(str(r.price_old))
        new_p = None if r.side == "left_only" else Decimal(str(r.price_new))
        if old_p is not None and new_p is not None and old_p == new_p:
            continue  # the same number written differently (0.10 and 0.1)
        rows.append({
            "region": r.region, "item": r.item, "tier": r.tier,
            "old_usd": "" if old_p is None else str(old_p), "new_usd": "" if new_p is None else str(new_p),
            "change_usd": "" if old_p is None or new_p is None else str(new_p - old_p),
        })  # fmt: skip
    figures = pd.DataFrame(rows, columns=[*key, "old_usd", "new_usd", "change_usd"])
    if input is None:
        return Comparison(books[0].identity, books[1].identity, figures)

    from ..core.options import PricingOptions
    from ..core.pricing import estimate
    from ..sources.load import load

    usage = load(input, books[0])
    ests = [estimate(usage, options=PricingOptions.of(month, prices=bk)) for bk in books]
    totals = [e.totals() for e in ests]
    names = [k for k in totals[0] if k.endswith("_usd")]
    charges = pd.DataFrame(
        [{"charge": n, "old_usd": str(totals[0][n]), "new_usd": str(totals[1][n]),
          "change_usd": str(totals[1][n] - totals[0][n])} for n in names if totals[0][n] or totals[1][n]],
        columns=["charge", "old_usd", "new_usd", "change_usd"],
    )  # fmt: skip
    return Comparison(books[0].identity, books[1].identity, figures, charges,
                      ests[0].total_usd, ests[1].total_usd)  # fmt: skip
