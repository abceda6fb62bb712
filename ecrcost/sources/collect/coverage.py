"""What could not be read: every skipped account, region, repository or image with its AWS error code."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import botocore.exceptions


@dataclass(frozen=True)
class Gap:
    """One thing not read. Empty ``region``/``repository``/``image_digest`` = the whole level above."""

    account_id: str
    region: str
    repository: str
    operation: str
    error_code: str
    message: str
    image_digest: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def label(self) -> str:
        where = "/".join(p for p in (self.account_id, self.region, self.repository, self.image_digest) if p)
        label = f"{where or 'collection'}: {self.operation} {self.error_code}"
        # An AWS error code speaks for itself; a bad answer needs its reason (which field, why).
        return f"{label} ({self.message})" if self.error_code == "BadAnswer" and self.message else label


def error_code(exc: BaseException) -> str:
    """The AWS error code (``AccessDeniedException``) or the botocore exception name."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def message(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Message") or "")[:300]
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
