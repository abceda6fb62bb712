"""The lifecycle-policy simulator: what an ECR lifecycle policy would expire or archive, and what that
saves. ``policy`` parses and validates, ``evaluate`` decides per image (pure), ``simulate`` applies the
decisions to an inventory and prices before and after with :func:`ecrcost.estimate`."""

from .evaluate import evaluate
from .policy import Policy, Rule, parse_policy, read_policy

__all__ = ["Policy", "Rule", "evaluate", "parse_policy", "read_policy"]
