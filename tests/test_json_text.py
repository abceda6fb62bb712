"""The JSON writer of every machine output (``outputs.machine.dumps``) writes exactly the text of
``json.dumps(doc, indent=2)`` with Decimal amounts as number literals, on any document; and a
million-item list goes through it (the lifecycle's per-image lists)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecrcost.outputs.machine import Number, dumps, number


def reference(doc: Any) -> str:
    """What ``dumps`` wrote before: the standard library's indenting encoder, literals put back."""
    literals: list[str] = []

    def mark(obj: Any) -> str:
        if isinstance(obj, Number):
            literals.append(obj.text)
            return f"\x00{len(literals) - 1}\x00"
        raise TypeError(type(obj).__name__)

    text = json.dumps(doc, indent=2, default=mark)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: literals[int(m.group(1))], text)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=6)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4).map(number)
)
keys = st.text(max_size=4) | st.integers(-5, 5) | st.booleans() | st.none() | st.floats(allow_nan=False)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_the_text_is_the_standard_indented_json(doc):
    assert dumps(doc) == reference(doc)


def test_a_lifecycle_sized_document():
    digests = [f"sha256:{i:064x}" for i in range(1_000_000)]
    doc = {
        "policies": [
            {
                "policy": "p",
                "expired": digests,
                "transitioned": [],
                "storage_usd_before": number(Decimal("12.5")),
                "actions": [{"image_digest": d, "size_bytes": 1, "note": "é"} for d in digests[:1000]],
            }
        ]
    }
    text = dumps(doc)
    assert text == reference(doc)
    parsed = json.loads(text)
    assert parsed["policies"][0]["expired"][-1] == digests[-1]
    assert '"storage_usd_before": 12.500000,' in text
