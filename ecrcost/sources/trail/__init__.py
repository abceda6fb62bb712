"""``ecrcost pulls``: transfer measured from CloudTrail's ECR events instead of estimated from pull
counts (docs/pulls.md). Trail files (local or S3) or ``LookupEvents`` → layer downloads sized from the
inventory's ``layers`` → destination classes from AWS's ``ip-ranges.json`` → the inventory's
``transfer`` and ``pulls`` tables."""

from .run import Options, Result, read_trail

__all__ = ["Options", "Result", "read_trail"]
