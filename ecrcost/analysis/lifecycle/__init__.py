"""The lifecycle-policy simulator: what an ECR lifecycle policy would expire or archive, and what that
saves. ``policy`` parses and validates, ``evaluate`` decides per image (pure), ``simulate`` applies the
decisions to an inventory and prices before and after with :func:`ecrcost.estimate`."""

from .evaluate import evaluate
from .policy import Policy, Rule, parse_policy, read_policy
from .protect import read_in_use
from .scope import only_repositories, stored_policies
from .simulate import simulate
from .simulation import Simulation

__all__ = [
    "Policy",
    "Rule",
    "Simulation",
    "evaluate",
    "only_repositories",
    "parse_policy",
    "read_in_use",
    "read_policy",
    "simulate",
    "stored_policies",
]
