"""What every chart shares: the colour-blind-safe palette (Okabe–Ito), dollar axes, short repository
names, and the title / footer that state the period and the assumptions on the figure itself."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...core.estimate import Estimate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
COLORS = {
    "storage": OKABE_ITO["blue"],
    "transfer": OKABE_ITO["orange"],
    "internet": OKABE_ITO["orange"],
    "cross_region": OKABE_ITO["green"],
    "tagged": OKABE_ITO["blue"],
    "untagged": OKABE_ITO["vermillion"],
    "archived": OKABE_ITO["sky"],
}
SEQUENCE = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow")]
TEXT = "#222222"
MUTED = "#555555"
WIDTH = 10.0  # inches; at 100 dpi a 1000-pixel PNG, readable on a laptop and on A4 landscape


def plain(text: str) -> str:
    """``text`` shown as written: matplotlib reads a pair of ``$`` as mathematics, and dollar amounts
    (and user data) are full of them."""
    return text.replace("$", r"\$")


def share(part: Decimal | float, whole: Decimal | float) -> str:
    """``42%``; a small but non-zero share reads ``<1%``, not ``0%``."""
    if not whole:
        return "0%"
    ratio = float(part) / float(whole)
    return "<1%" if 0 < ratio < 0.005 else f"{ratio:.0%}"


def usd(value: Decimal | float) -> str:
    """``$1,234.56``."""
    return f"${value:,.2f}"


def dollars(value: float, _pos: int | None = None) -> str:
    """Axis tick label: ``$0``, ``$0.50``, ``$12``, ``$1.2k``, ``$3.4M``."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        text = f"{v / 1e6:.1f}".removesuffix(".0") + "M"
    elif v >= 1e3:
        text = f"{v / 1e3:.1f}".removesuffix(".0") + "k"
    elif v >= 10 or v == 0 or v == int(v):
        text = f"{v:,.0f}"
    else:
        text = f"{v:,.2f}"
    return f"{sign}${text}"


DOLLARS = FuncFormatter(dollars)


def quantity(value: float, _pos: int | None = None) -> str:
    """Axis tick label for GB: ``0``, ``12``, ``2.5``, ``1.5k``, ``40k``, ``3.4M`` (one style per axis
    range, so 8,000 never sits next to 10k)."""
    v = abs(value)
    if v >= 1e6:
        return f"{value / 1e6:.1f}".removesuffix(".0") + "M"
    if v >= 1e3:
        return f"{value / 1e3:.1f}".removesuffix(".0") + "k"
    if v >= 10 or v == int(v):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


QUANTITY = FuncFormatter(quantity)


def shorten(name: str, width: int = 30) -> str:
    """A repository name that fits ``width`` characters, keeping what identifies it: the namespace (its
    start) and the end of the last path segment — ``team-a/…/web-app``, ``checkout/…/…dispatcher-v2``."""
    if len(name) <= width:
        return name
    parts = name.split("/")
    if len(parts) == 1:
        return "…" + name[-(width - 1) :]
    head, last = parts[0], parts[-1]
    middle = "/…/" if len(parts) > 2 else "/"
    # The namespace gets what the last segment leaves, but never less than a third of the width.
    keep_head = min(len(head), max(width // 3, width - len(middle) - len(last)))
    if keep_head < len(head):
        head = head[: keep_head - 1] + "…"
    room = width - len(head) - len(middle)
    if len(last) > room:
        last = "…" + last[-(room - 1) :]
    return head + middle + last


def transfer_basis(est: Estimate) -> str:
    """Where the transfer figures come from: the pull-size assumption of ``collect`` when it estimated
    them from pull counts, else the input's own figures."""
    measured = est.assumptions.get("transfer_measured")
    if measured:
        return f"transfer measured from CloudTrail layer downloads ({measured.get('month')})"
    pulls = est.assumptions.get("transfer_estimate")
    if pulls:
        return (
            f"transfer estimated from pulls: bytes per pull {pulls.get('bytes_per_pull')}, internet share "
            f"{pulls.get('internet_share')}, cross-region share {pulls.get('cross_region_share')}"
        )
    if any(v > 0 for c in ("internet_out_gb", "cross_region_out_gb") for v in est.exact[c]):
        return "transfer as given in the input"
    return "no transfer in the input"


def assumptions(est: Estimate) -> str:
    """One line: the period and what the figures assume."""
    a = est.assumptions
    free = a.get("free_internet_gb", 0)
    parts = [
        f"Period {est.period} (USD, list prices; GB = 2^30 bytes)",
        f"free internet allowance {free:,} GB" if free else "no free internet allowance applied",
        f"blob mounting {a.get('blob_mounting_in_effect', 'off')}",
        "each account billed alone" if est.options.billing == "account" else "",
        f"storage from {a.get('storage_basis', 'input')}",
        transfer_basis(est),
        f"prices: {a.get('prices', 'bundled')}",
    ]
    return " · ".join(p for p in parts if p)


def new_figure(height: float = 5.5, width: float = WIDTH) -> Figure:
    """A figure outside pyplot (no global state; a notebook shows it inline, the CLI saves it)."""
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    return fig


def frame(fig: Figure, title: str, est: Estimate, *extra: str) -> None:
    """Title on top; the period, assumptions and ``extra`` lines (methods, caveats) at the bottom."""
    fig.suptitle(plain(title), x=0.01, ha="left", fontsize=14, fontweight="bold", color=TEXT)
    width_chars = int(fig.get_figwidth() * 72 / (8 * 0.55))
    lines = [assumptions(est), *extra]
    text = plain("\n".join(textwrap.fill(line, width_chars) for line in lines if line))
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8, color=MUTED, linespacing=1.4)


def tidy(ax: Axes) -> None:
    """Light axes: no top/right spines, a faint grid behind the bars."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_axisbelow(True)
    ax.tick_params(colors=TEXT, labelsize=9)


def empty(fig: Figure, message: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=MUTED, transform=ax.transAxes)
