"""ECR lifecycle policies: parse and validate the policy JSON the way ECR does before it accepts one.

Rules and reasons follow the ECR user guide ("Lifecycle policy properties", "Lifecycle policy
evaluation rules", "Archiving an image"); every rejection names the policy file, the rule (by its
position and priority) and the field, and quotes ECR's reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...core import jsondoc
from ...core.errors import InputError

MAX_RULES = 50  # ECR service quota "Rules per lifecycle policy"
MAX_CHARS = 30_720  # GetLifecyclePolicy lifecyclePolicyText maximum length
MAX_WILDCARDS = 4  # per tagPatternList entry ("Lifecycle policy properties")
MAX_TAG_LENGTH = 300  # ImageIdentifier.imageTag, 1 to 300 characters
# countNumber: ECR documents no maximum; a 32-bit integer is far beyond any image count or age in
# days, and keeps the arithmetic on it in range.
MAX_COUNT = 2**31 - 1
ARCHIVE_MINIMUM_DAYS = 90  # "You cannot configure lifecycle policies that delete images that have been
# in archive for less than 90 days."

TAG_STATUS = ("tagged", "untagged", "any")
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
SINCE = ("sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
STORAGE_CLASSES = ("standard", "archive")
ACTIONS = ("expire", "transition")

_TOP = {"rules"}
_RULE = {"rulePriority", "description", "selection", "action"}
_SELECTION = {
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
}
_ACTION = {"type", "targetStorageClass"}

# Makes the error to raise for a message about the policy file.
Fail = Callable[[str], InputError]


@dataclass(frozen=True)
class Rule:
    """One lifecycle rule. ``storage_class`` is the class it selects from (``standard`` = active images)."""

    priority: int
    description: str
    tag_status: str
    tag_patterns: tuple[str, ...]  # tagPatternList, wildcards '*'
    tag_prefixes: tuple[str, ...]  # tagPrefixList
    storage_class: str
    count_type: str
    count_number: int
    action: str  # expire | transition (to archive)

    def describe(self) -> str:
        """Short words for reports: ``rule 1: tagged prod* · more than 5 images → expire``."""
        if self.tag_status == "tagged":
            what = "tagged " + " & ".join(self.tag_patterns or tuple(f"{p}…" for p in self.tag_prefixes))
        else:
            what = self.tag_status
        if self.storage_class == "archive":
            what += " (archived)"
        count = {
            "imageCountMoreThan": f"more than {self.count_number} image(s)",
            "sinceImagePushed": f"pushed over {self.count_number} day(s) ago",
            "sinceImagePulled": f"not pulled for over {self.count_number} day(s)",
            "sinceImageTransitioned": f"archived over {self.count_number} day(s) ago",
        }[self.count_type]
        return f"rule {self.priority}: {what} · {count} → {self.action}"


@dataclass(frozen=True)
class Policy:
    """A validated lifecycle policy; ``rules`` sorted by priority (lowest first, applied first)."""

    name: str
    rules: tuple[Rule, ...]
    text: str = ""


def read_policy(path: str | Path) -> Policy:
    """Read and validate a lifecycle policy JSON file (the ``lifecyclePolicyText`` ECR stores)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise InputError("no such policy file", file=path)
    # A UTF-8 byte-order mark is accepted, as in every other file we read.
    text = jsondoc.decode(jsondoc.read_bytes(path), path)
    return parse_policy(text, name=path.name, where=str(path))


def parse_policy(text: str, name: str = "policy", where: str | None = None) -> Policy:
    """Validate ``text`` as ECR would; raise :class:`InputError` naming ``where`` and the field."""
    where = where or name

    def fail(message: str) -> InputError:
        return InputError(message, file=where)

    text = text.removeprefix("\ufeff")
    if len(text) > MAX_CHARS:
        raise fail(f"a lifecycle policy is at most {MAX_CHARS:,} characters (this one has {len(text):,})")
    doc = jsondoc.parse(text, where, "a lifecycle policy")
    if not isinstance(doc, dict):
        raise fail('a lifecycle policy is a JSON object {"rules": [...]}')
    _unknown(doc, _TOP, "policy", fail)
    rules_doc = doc.get("rules")
    if not isinstance(rules_doc, list) or not rules_doc:
        raise fail("'rules' is required: a non-empty list of rules")
    if len(rules_doc) > MAX_RULES:
        raise fail(f"a lifecycle policy has at most {MAX_RULES} rules (this one has {len(rules_doc)})")
    rules = [_rule(i, r, fail) for i, r in enumerate(rules_doc)]
    _check_together(rules, fail)
    return Policy(name=name, rules=tuple(sorted(rules, key=lambda r: r.priority)), text=text)


def _unknown(obj: dict[str, Any], allowed: set[str], label: str, fail: Fail) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise fail(f"{label}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _short_number(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"{text[:10]}… ({len(text)} digits)"


def _integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _rule(index: int, doc: Any, fail: Fail) -> Rule:
    label = f"rules[{index}]"
    if not isinstance(doc, dict):
        raise fail(f"{label}: a rule is a JSON object")
    _unknown(doc, _RULE, label, fail)
    priority = doc.get("rulePriority")
    if not _integer(priority) or priority < 1:
        raise fail(f"{label}: rulePriority is required, a whole number of at least 1")
    label = f"{label} (rulePriority {priority})"
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise fail(f"{label}: description must be text")
    sel = doc.get("selection")
    if not isinstance(sel, dict):
        raise fail(f"{label}: selection is required")
    _unknown(sel, _SELECTION, f"{label} selection", fail)
    act = doc.get("action")
    if not isinstance(act, dict):
        raise fail(f"{label}: action is required")
    _unknown(act, _ACTION, f"{label} action", fail)

    status = sel.get("tagStatus")
    if status not in TAG_STATUS:
        raise fail(f"{label}: selection.tagStatus is required, one of {', '.join(TAG_STATUS)}")
    patterns = _tag_list(sel, "tagPatternList", label, fail)
    prefixes = _tag_list(sel, "tagPrefixList", label, fail)
    if patterns and prefixes:
        raise fail(f"{label}: specify either tagPatternList or tagPrefixList, not both")
    if status == "tagged" and not (patterns or prefixes):
        raise fail(
            f"{label}: tagStatus 'tagged' requires a tagPrefixList or tagPatternList value "
            "(use tagStatus 'any' for every image)"
        )
    if status != "tagged" and ("tagPatternList" in sel or "tagPrefixList" in sel):
        raise fail(f"{label}: tagPatternList and tagPrefixList may only be used with tagStatus 'tagged'")
    for p in patterns:
        if p.count("*") > MAX_WILDCARDS:
            raise fail(f"{label}: tagPatternList '{p}' has more than {MAX_WILDCARDS} wildcards (*)")

    count_type = sel.get("countType")
    if count_type not in COUNT_TYPES:
        raise fail(f"{label}: selection.countType is required, one of {', '.join(COUNT_TYPES)}")
    number = sel.get("countNumber")
    if not _integer(number) or number < 1:
        raise fail(f"{label}: selection.countNumber is required, a whole number of at least 1")
    if number > MAX_COUNT:
        raise fail(
            f"{label}: selection.countNumber {_short_number(number)} is too large (at most {MAX_COUNT:,})"
        )
    if count_type in SINCE:
        if sel.get("countUnit") != "days":
            raise fail(f"{label}: countType '{count_type}' requires countUnit 'days'")
    elif "countUnit" in sel:
        raise fail(
            f"{label}: countUnit may only be specified when countType is "
            "sinceImagePushed, sinceImagePulled or sinceImageTransitioned"
        )
    storage = sel.get("storageClass", "standard")
    if storage not in STORAGE_CLASSES:
        raise fail(f"{label}: selection.storageClass must be 'standard' or 'archive'")
    if count_type == "sinceImageTransitioned":
        if "storageClass" not in sel or storage != "archive":
            raise fail(f"{label}: countType 'sinceImageTransitioned' requires storageClass 'archive'")
    elif storage != "standard":
        raise fail(f"{label}: with countType '{count_type}' the only supported storageClass is 'standard'")

    action = act.get("type")
    if action not in ACTIONS:
        raise fail(f"{label}: action.type is required, 'expire' or 'transition'")
    if action == "transition":
        if act.get("targetStorageClass") != "archive":
            raise fail(
                f"{label}: a transition requires targetStorageClass 'archive' (the only supported value)"
            )
    elif "targetStorageClass" in act:
        raise fail(f"{label}: targetStorageClass may only be given with action.type 'transition'")
    if count_type == "sinceImagePulled" and action != "transition":
        raise fail(f"{label}: countType 'sinceImagePulled' can only be used with action.type 'transition'")
    if count_type == "sinceImageTransitioned":
        if action != "expire":
            raise fail(
                f"{label}: countType 'sinceImageTransitioned' can only be used with action.type 'expire'"
            )
        if number < ARCHIVE_MINIMUM_DAYS:
            raise fail(
                f"{label}: cannot expire images that have been in archive for less than "
                f"{ARCHIVE_MINIMUM_DAYS} days (countNumber {number})"
            )
    return Rule(
        priority=priority,
        description=description,
        tag_status=status,
        tag_patterns=patterns,
        tag_prefixes=prefixes,
        storage_class=storage,
        count_type=count_type,
        count_number=number,
        action=action,
    )


def _tag_list(sel: dict[str, Any], key: str, label: str, fail: Fail) -> tuple[str, ...]:
    if key not in sel:
        return ()
    value = sel[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise fail(f"{label}: {key} must be a non-empty list of non-empty tag strings")
    return tuple(value)


def _check_together(rules: list[Rule], fail: Fail) -> None:
    """The constraints that span rules, per storage class the rules select from."""
    seen: dict[int, int] = {}
    for i, r in enumerate(rules):
        if r.priority in seen:
            raise fail(
                f"rules[{i}]: rulePriority {r.priority} is also used by rules[{seen[r.priority]}]; "
                "each rule needs a unique rulePriority"
            )
        seen[r.priority] = i
    for storage in STORAGE_CLASSES:
        group = [r for r in rules if r.storage_class == storage]
        top = max((r.priority for r in group), default=0)
        for r in group:
            if r.tag_status == "any" and r.priority != top:
                raise fail(
                    f"rule with rulePriority {r.priority}: a rule with tagStatus 'any' must have the "
                    f"highest rulePriority of the rules selecting {storage} images (and be evaluated last)"
                )
        untagged = [r.priority for r in group if r.tag_status == "untagged"]
        if len(untagged) > 1:
            raise fail(
                f"rules with rulePriority {', '.join(map(str, untagged))}: only one rule selecting "
                f"{storage} images may select untagged images"
            )
        prefixes: dict[str, int] = {}
        for r in group:
            for p in r.tag_prefixes:
                if p in prefixes:
                    raise fail(
                        f"rules with rulePriority {prefixes[p]} and {r.priority} both list tag prefix "
                        f"'{p}': the rules selecting {storage} images must contain a unique set of prefixes"
                    )
                prefixes[p] = r.priority


def wildcard_regex(pattern: str) -> str:
    """A tagPatternList entry as an RE2 regular expression matching whole values: '*' matches any run
    of characters (line breaks too), every other character itself (written as a code point, so no
    character is special)."""
    body = "".join(
        ".*" if c == "*" else (c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}") for c in pattern
    )
    return f"(?s)^{body}$"


def wildcard_matches(values: Iterable[str] | pd.Series | np.ndarray, pattern: str) -> np.ndarray:
    """Which of ``values`` (text) the wildcard ``pattern`` matches whole, as a boolean array.

    RE2 (through Arrow) runs in time linear in the text whatever the pattern: a backtracking matcher
    takes minutes on ``*a*a*a*b`` against one long tag."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    text = pa.array(values if isinstance(values, np.ndarray) else list(values), pa.large_string())
    found = pc.match_substring_regex(text, wildcard_regex(pattern)).fill_null(False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def tag_patterns(patterns: Iterable[str], field: str = "keep_tags") -> tuple[str, ...]:
    """Tag patterns given on the command line (``--keep-tags``), held to ECR's limits for a
    tagPatternList entry: at most four wildcards, and no longer than a tag can be (300 characters,
    ImageIdentifier.imageTag) once the wildcards match nothing."""
    out = tuple(patterns)
    for p in out:
        if not p:
            raise InputError("a tag pattern cannot be empty", field=field)
        if p.count("*") > MAX_WILDCARDS:
            raise InputError(
                f"'{_short(p)}' has more than {MAX_WILDCARDS} wildcards (*), as ECR allows", field=field
            )
        if len(p) - p.count("*") > MAX_TAG_LENGTH:
            raise InputError(
                f"'{_short(p)}' can never match: image tags are at most {MAX_TAG_LENGTH} characters",
                field=field,
            )
    return out


def _short(text: str) -> str:
    """A pattern as an error quotes it: at most 60 characters."""
    return text if len(text) <= 60 else text[:57] + "..."
