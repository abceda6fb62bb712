"""Live collection: read AWS accounts (read-only) into an inventory folder that ``load`` prices."""

from .permissions import policy, policy_json
from .run import Collection, Options, collect

__all__ = ["Collection", "Options", "collect", "policy", "policy_json"]
