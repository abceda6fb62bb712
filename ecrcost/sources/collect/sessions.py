"""Credentials, accounts and clients: boto3's standard chain, ``--profile``, STS AssumeRole.

Endpoints are boto3's business: ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_ECR`` are honoured because no
``endpoint_url`` is ever passed. Sessions are not thread-safe, so every thread builds its own session
and clients (one client per thread, per account, region and service).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from ...core.errors import InputError
from .permissions import declare
from .ratelimit import TokenBucket
from .shapes import ask, caller_account, credentials
from .stats import CallStats

declare("sts", "GetCallerIdentity")
declare("sts", "AssumeRole", when="--role-arn")

Hook = tuple[str, Callable[..., Any]]


@dataclass(frozen=True)
class Account:
    """Who we read as: ``role_arn`` None means the base credentials. ``account_id`` is resolved."""

    account_id: str
    role_arn: str | None = None
    credentials: dict[str, str] | None = None  # AccessKeyId, SecretAccessKey, SessionToken


@dataclass
class Clients:
    """Builds clients: retries capped at ``max_attempts`` total attempts, ``rate`` requests per second
    per account-region (token bucket), ``hooks`` (botocore event name, handler) registered on every
    client — the test suite records operation names through them."""

    profile: str | None = None
    max_attempts: int = 8
    rate: float = 50.0
    hooks: Sequence[Hook] = ()
    stats: CallStats = field(default_factory=CallStats)
    _local: threading.local = field(default_factory=threading.local)
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base_session(self, region: str | None = None) -> boto3.Session:
        try:
            return boto3.Session(profile_name=self.profile, region_name=region)
        except botocore.exceptions.ProfileNotFound as exc:
            if self.profile is not None:
                raise InputError(f"AWS profile '{self.profile}' not found", field="profile") from None
            named = exc.kwargs.get("profile", "")  # from the environment, not --profile
            var = "AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "AWS_DEFAULT_PROFILE"
            raise InputError(
                f"AWS profile '{named}' (set by {var}) not found in the AWS config or credentials file"
            ) from None

    def check_credentials(self) -> None:
        """Credentials missing → one clear line (exit 2), before any thread starts."""
        if self.base_session().get_credentials() is None:
            raise InputError(
                "no AWS credentials found (environment, --profile, ~/.aws, SSO or instance role)"
            )

    def client(self, service: str, account: Account, region: str, attempts: int | None = None) -> Any:
        """This thread's client for ``service`` in ``account`` and ``region``."""
        cache: dict[tuple[str, str, str | None, str, int | None], Any]
        cache = self._local.__dict__.setdefault("clients", {})
        key = (service, account.account_id, account.role_arn, region, attempts)
        if key not in cache:
            cache[key] = self._make(service, account, region, attempts or self.max_attempts)
        return cache[key]

    def _session(self, account: Account) -> boto3.Session:
        """This thread's session for ``account`` (building one loads the service models: reuse it)."""
        sessions: dict[tuple[str, str | None], boto3.Session]
        sessions = self._local.__dict__.setdefault("sessions", {})
        key = (account.account_id, account.role_arn)
        if key not in sessions:
            if account.credentials:
                c = account.credentials
                sessions[key] = boto3.Session(
                    aws_access_key_id=c["AccessKeyId"],
                    aws_secret_access_key=c["SecretAccessKey"],
                    aws_session_token=c["SessionToken"],
                )
            else:
                sessions[key] = self.base_session()
        return sessions[key]

    def _make(self, service: str, account: Account, region: str, attempts: int) -> Any:
        session = self._session(account)
        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
            user_agent_extra="ecrcost",
        )
        client = session.client(service, region_name=region, config=config)
        events = client.meta.events
        events.register("before-call", self.stats.on_call)
        events.register("before-send", self.stats.on_send)
        bucket = self._bucket(account.account_id, region)
        events.register("before-send", lambda **_: bucket.take())
        for name, handler in self.hooks:
            events.register(name, handler)
        return client

    def _bucket(self, account_id: str, region: str) -> TokenBucket:
        with self._lock:
            return self._buckets.setdefault(
                (account_id, region), TokenBucket(self.rate, burst=max(1, int(self.rate)))
            )

    def caller_account(self, region: str) -> Account:
        """The account of the base credentials (GetCallerIdentity needs no permission). A malformed
        answer, asked for twice, raises BadAnswer."""
        sts = self.client("sts", Account("base"), region)
        return Account(ask("GetCallerIdentity", sts.get_caller_identity, caller_account))

    def assume(self, role_arn: str, external_id: str | None, region: str) -> Account:
        """AssumeRole into ``role_arn`` (credentials last an hour: enough for a registry crawl). A
        malformed answer, asked for twice, raises BadAnswer."""
        kwargs = {"RoleArn": role_arn, "RoleSessionName": "ecrcost"}
        if external_id:
            kwargs["ExternalId"] = external_id
        sts = self.client("sts", Account("base"), region)
        keep = ask("AssumeRole", lambda: sts.assume_role(**kwargs), credentials)
        account_id = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        return Account(account_id, role_arn, keep)
