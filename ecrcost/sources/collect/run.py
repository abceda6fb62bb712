"""One collection: accounts × regions read in parallel into an inventory folder (docs/formats.md).

Python API::

    from ecrcost.sources.collect import Options, collect
    result = collect(Options(output=Path("inventory"), regions=("us-east-1", "eu-west-1")))
    result.partial        # True when any account, region, repository or image could not be read
    result.replaced       # False when the previous inventory was kept (see Options.force)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import botocore.exceptions

from ... import __version__
from ...core.errors import InputError, Unreachable
from ...core.period import Month
from ...outputs import folders
from . import regions as region_list
from .cache import ManifestCache, default_dir
from .coverage import AWS_ERRORS, Gap, error_code, message
from .inspector import unnamed
from .metrics import Pulls, read_pulls
from .progress import Bars
from .reader import Registry, Repository, read_registry, read_repository
from .sessions import Account, Clients, Hook
from .shapes import FAILURES, BadAnswer
from .transfer import Assumptions, average_image_bytes, transfer_row
from .workloads import Workloads, read_workloads
from .writer import check_inventory_folder, previous_images, write_inventory

# No answer at all (no network, a wrong endpoint): not the credentials' fault.
UNREACHABLE = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class Options:
    """What to read and how. Shares are fractions 0–1 of pulled GB; ``bytes_per_pull`` is ``"full"``
    or a byte count; ``cache_dir`` None = the user cache folder; ``max_attempts`` total attempts per
    call (retries included); ``rate`` requests per second per account-region. ``force``: replace the
    inventory in ``output`` even when this run had gaps and found fewer than half its images (by
    default that inventory is kept; see :func:`keeps_previous`)."""

    output: Path
    regions: Sequence[str] = ()
    all_regions: bool = False
    profile: str | None = None
    role_arns: Sequence[str] = ()
    accounts_file: Path | None = None
    external_id: str | None = None
    format: str = "parquet"
    month: Month | str | None = None
    cache_dir: Path | None = None
    bytes_per_pull: str = "full"
    internet_share: str = "0"
    cross_region_share: str = "0"
    workers: int = 8
    max_attempts: int = 8
    rate: float = 50.0
    quiet: bool = False
    hooks: Sequence[Hook] = ()
    force: bool = False
    # What runs where (the workloads table): ECS and Lambda in every account-region read, and the pods
    # of the ``contexts`` of ``kubeconfig`` (every context when only ``kubeconfig`` is given).
    workloads: bool = False
    kubeconfig: Path | None = None
    contexts: Sequence[str] = ()


@dataclass(frozen=True)
class Collection:
    """What was read: the folder, ``collection.json`` as a dict, and the ``gaps`` (coverage).
    ``replaced`` is False when the previous inventory (``previous_images`` images) was kept instead."""

    folder: Path
    summary: dict[str, Any]
    gaps: tuple[Gap, ...] = field(default_factory=tuple)
    replaced: bool = True
    previous_images: int | None = None

    @property
    def partial(self) -> bool:
        return bool(self.gaps)


def keeps_previous(images: int, previous: int | None, gaps: Sequence[Gap], force: bool = False) -> bool:
    """A run with coverage gaps that found fewer than half the images of the inventory it would
    replace keeps that inventory: such a drop is far likelier a denied or failing region than images
    deleted. A complete run always replaces (what it read is the registry), and so does ``force``."""
    return bool(gaps) and not force and previous is not None and images * 2 < previous


def collect(options: Options) -> Collection:
    """Read every registry the options name into ``options.output``. AWS errors never raise: they
    become gaps; user errors (bad options, no credentials, another collect writing the same folder)
    raise :class:`InputError`. A symbolic link as ``output`` is followed: its target is replaced."""
    started = datetime.now(UTC)
    month = Month.of(options.month)
    assumptions = _assumptions(options)
    if options.format not in ("parquet", "csv"):
        raise InputError(f"'{options.format}' is not parquet or csv", field="format")
    output = Path(os.path.realpath(options.output)) if options.output.is_symlink() else options.output
    check_inventory_folder(output)
    roles = _roles(options)
    kube = _kube_contexts(options)
    clients = Clients(options.profile, options.max_attempts, options.rate, options.hooks)
    clients.check_credentials()
    region_list.check(clients, options.regions, options.all_regions)
    with folders.locked(output):
        folders.recover(output)
        check_inventory_folder(output)
        return _collect(options, output, clients, roles, month, assumptions, started, kube)


def _kube_contexts(options: Options) -> list[Any]:
    """The kubeconfig contexts to read (none unless --kubeconfig or --context was given)."""
    if not (options.kubeconfig or options.contexts):
        return []
    if not options.workloads:
        raise InputError("a kubeconfig is read for workloads only: add --workloads", field="kubeconfig")
    from ..kube import contexts, kubeconfig_path

    return contexts(kubeconfig_path(options.kubeconfig), list(options.contexts) or None)


def _collect(
    options: Options,
    output: Path,
    clients: Clients,
    roles: list[tuple[str, str | None]],
    month: Month,
    assumptions: Assumptions,
    started: datetime,
    kube: Sequence[Any] = (),
) -> Collection:
    regions, notes = region_list.resolve(clients, options.regions, options.all_regions)
    cache = ManifestCache(options.cache_dir or default_dir())
    gaps: list[Gap] = []
    minimum: dict[str, int] = {}
    with Bars(False if options.quiet else None) as bars, ThreadPoolExecutor(options.workers) as pool:
        accounts = _accounts(clients, roles, regions[0], pool, gaps, minimum)
        try:
            registries, repos, pulls = _crawl(clients, accounts, regions, month, cache, pool, bars)
        finally:
            cache.close()
        seen = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        running = _workloads(clients, accounts, regions, pool, seen) if options.workloads else []
    parts: tuple[Registry | Repository | Pulls | Workloads, ...] = (
        *registries,
        *repos,
        *pulls.values(),
        *running,
    )
    for part in parts:
        gaps.extend(part.gaps)
        for op, n in part.minimum.items():
            minimum[op] = minimum.get(op, 0) + n
    tables = _tables(repos, pulls, assumptions, registries)
    if options.workloads:
        rows = [r for w in running for r in w.rows]
        if kube:
            from ..kube import read_contexts

            pods, kube_gaps, gets = read_contexts(list(kube), seen)
            rows += pods
            gaps.extend(kube_gaps)
            minimum["kubernetes.ListPods"] = gets
        read = {(a.account_id, r) for a in accounts for r in regions}
        tables["workloads"] = _carried(output, rows, read, {c.label for c in kube})
        notes += [n for w in running for n in w.notes]
        cross_check = unnamed(tables["workloads"])
        if cross_check:
            notes.append(cross_check)
    else:  # what an earlier --workloads or `ecrcost workloads` recorded stays as it was
        earlier = _previous_workloads(output)
        if earlier is not None:
            tables["workloads"] = _records(earlier)
    summary = _summary(options, started, month, accounts, regions, registries, repos, clients, minimum)
    schema1 = sum(r.schema1 for r in repos)
    if schema1:
        notes.append(f"{schema1} Docker schema 1 image(s): size from DescribeImages only (no layer rows)")
    summary["notes"] = notes
    summary["coverage"] = {"complete": not gaps, "gaps": [g.as_dict() for g in gaps]}
    summary["transfer"] = assumptions.as_dict()
    if options.workloads:
        summary["workloads"] = len(tables["workloads"])
    previous = previous_images(output)
    if keeps_previous(summary["images"], previous, gaps, options.force):
        return Collection(options.output, summary, tuple(gaps), replaced=False, previous_images=previous)
    write_inventory(output, tables, summary, options.format)
    return Collection(options.output, summary, tuple(gaps), previous_images=previous)


def _crawl(
    clients: Clients,
    accounts: list[Account],
    regions: list[str],
    month: Month,
    cache: ManifestCache,
    pool: ThreadPoolExecutor,
    bars: Bars,
) -> tuple[list[Registry], list[Repository], dict[tuple[str, str], Pulls]]:
    """Every registry, then (as each registry's list arrives) its pull counts and its repositories, all
    on one pool: registries and repositories of different accounts and regions overlap."""
    registries: list[Registry] = []
    repos: list[Repository] = []
    pulls: dict[tuple[str, str], Pulls] = {}
    pending: dict[Future[Any], Account] = {}
    for account in accounts:
        for region in regions:
            bars.grow("registries")
            pending[pool.submit(read_registry, clients, account, region)] = account
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            account = pending.pop(future)
            result = future.result()
            if isinstance(result, Registry):
                registries.append(result)
                bars.advance("registries")
                names = [r.name for r in result.repositories]
                if names:
                    pending[pool.submit(read_pulls, clients, account, result.region, names, month)] = account
                bars.grow("repositories", len(names))
                for repo in result.repositories:
                    job = pool.submit(read_repository, clients, account, result.region, repo, cache, bars)
                    pending[job] = account
            elif isinstance(result, Pulls):
                pulls[(result.account_id, result.region)] = result
            else:
                repos.append(result)
                bars.advance("repositories")
    return registries, repos, pulls


def _workloads(
    clients: Clients, accounts: list[Account], regions: list[str], pool: ThreadPoolExecutor, seen: str
) -> list[Workloads]:
    jobs = [pool.submit(read_workloads, clients, a, r, seen) for a in accounts for r in regions]
    return [j.result() for j in jobs]


def _previous_workloads(output: Path) -> Any:
    """The workloads table of the inventory being replaced; None without one (or unreadable)."""
    from .. import workloads as table

    try:
        return table.read_workloads(output) if output.is_dir() else None
    except InputError:  # an unreadable earlier table: nothing to carry over
        return None


def _records(frame: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict("records")
    return records


def _carried(
    output: Path, rows: list[dict[str, Any]], read: set[tuple[str, str]], clusters: set[str]
) -> list[dict[str, Any]]:
    """This run's workloads rows as one table, first_seen carried over from the inventory being
    replaced, whose rows this run did not read again stay: pods of clusters not read live (added from
    a kubectl file) and ECS or Lambda rows of accounts and regions not read this time."""
    import pandas as pd

    from .. import workloads as table

    previous = _previous_workloads(output)
    current = table.carry(previous, table.frame(rows))
    if previous is None or not len(previous):
        return _records(current)
    pods = previous["kind"] == "kubernetes"
    where = pd.Series(
        list(zip(previous["account_id"], previous["region"], strict=True)), index=previous.index
    )
    stay = (pods & ~previous["cluster"].isin(clusters)) | (~pods & ~where.isin(read))
    both = pd.concat([previous[stay], current], ignore_index=True)
    return _records(both.sort_values(table.KEY, kind="stable"))


def _assumptions(options: Options) -> Assumptions:
    shares = []
    for value, option in (
        (options.internet_share, "internet_share"),
        (options.cross_region_share, "cross_region_share"),
    ):
        try:
            share = Decimal(str(value).strip())
        except InvalidOperation:
            share = Decimal("NaN")
        if not share.is_finite() or not 0 <= share <= 1:
            raise InputError(f"'{value}' is not a fraction between 0 and 1", field=option)
        shares.append(share)
    if shares[0] + shares[1] > 1:
        raise InputError("internet and cross-region shares add up to more than 1", field="internet_share")
    per_pull = options.bytes_per_pull.strip().lower()
    if per_pull != "full" and not (per_pull.isdigit() and len(per_pull) < 16):
        raise InputError(
            f"'{options.bytes_per_pull}' is not 'full' or a number of bytes", field="bytes_per_pull"
        )
    return Assumptions(per_pull, shares[0], shares[1])


def _roles(options: Options) -> list[tuple[str, str | None]]:
    """(role ARN, external id) from ``--role-arn`` and the ``--accounts`` file (``ARN[,EXTERNAL_ID]``
    per line; blank lines and ``#`` comments skipped)."""
    roles = [(arn, options.external_id) for arn in options.role_arns]
    if options.accounts_file is not None:
        try:
            lines = options.accounts_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read ({exc})", file=options.accounts_file) from None
        for number, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            arn, _, external = (p.strip() for p in text.partition(","))
            if not ROLE_ARN.match(arn):
                raise InputError(
                    f"'{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)",
                    file=options.accounts_file,
                    row=number,
                )
            roles.append((arn, external or options.external_id))
    for arn, _ in roles:
        if not ROLE_ARN.match(arn):
            raise InputError(f"'{arn}' is not an IAM role ARN", field="role_arn")
    return list(dict.fromkeys(roles))


def _accounts(
    clients: Clients,
    roles: list[tuple[str, str | None]],
    region: str,
    pool: ThreadPoolExecutor,
    gaps: list[Gap],
    minimum: dict[str, int],
) -> list[Account]:
    """The base credentials' account, or every role assumed (a role that cannot be assumed is a gap;
    so is a malformed answer to GetCallerIdentity, which leaves no account to read)."""
    if not roles:
        minimum["sts.GetCallerIdentity"] = 1
        try:
            return [clients.caller_account(region)]
        except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError):
            raise InputError("no AWS credentials found") from None
        except BadAnswer as exc:  # not the credentials' fault: nothing read, and the coverage says why
            gaps.append(Gap("", "", "", "GetCallerIdentity", error_code(exc), message(exc)))
            return []
        except UNREACHABLE as exc:
            raise Unreachable(
                f"cannot reach AWS STS ({message(exc)}): check the network, proxy or AWS_ENDPOINT_URL"
            ) from None
        except botocore.exceptions.ClientError as exc:
            raise InputError(f"AWS rejected the credentials ({error_code(exc)}: {message(exc)})") from None
        except AWS_ERRORS as exc:
            raise InputError(
                f"AWS credentials could not be used ({error_code(exc)}: {message(exc)})"
            ) from None
    minimum["sts.AssumeRole"] = len(roles)
    accounts = []
    futures = [(arn, pool.submit(clients.assume, arn, external, region)) for arn, external in roles]
    for arn, future in futures:
        try:
            accounts.append(future.result())
        except FAILURES as exc:
            gaps.append(Gap(arn.split(":")[4], "", "", "AssumeRole", error_code(exc), message(exc)))
    return accounts


def _tables(
    repos: list[Repository],
    pulls: dict[tuple[str, str], Pulls],
    assumptions: Assumptions,
    registries: list[Registry],
) -> dict[str, list[dict[str, Any]]]:
    repos = sorted(repos, key=lambda r: (r.row["account_id"], r.row["region"], r.row["repository"]))
    prefixes = {(g.account_id, g.region): g.pull_through for g in registries}
    for r in repos:  # a repository a pull-through cache rule created is named "<prefix>/<upstream name>"
        mine = prefixes.get((r.row["account_id"], r.row["region"]), [])
        r.row["pull_through_cache"] = any(
            r.row["repository"].startswith(f"{p}/") for p in mine if p != "ROOT"
        )
    tables: dict[str, list[dict[str, Any]]] = {
        "images": [i for r in repos for i in r.images],
        "layers": [x for r in repos for x in r.layers],
        "repositories": [r.row for r in repos],
        "pulls": [],
        "transfer": [],
    }
    for r in repos:
        base = {k: r.row[k] for k in ("account_id", "region", "repository")}
        got = pulls.get((base["account_id"], base["region"]))
        count = got.counts.get(base["repository"]) if got else None
        if count is None:  # unknown (a gap says why): no row rather than a made-up 0
            continue
        tables["pulls"].append(base | {"pull_count": count})
        if count:
            per_pull = (
                average_image_bytes(r.images, r.layers)
                if assumptions.bytes_per_pull == "full"
                else int(assumptions.bytes_per_pull)
            )
            tables["transfer"].append(transfer_row(base, count, per_pull, assumptions))
    return tables


def _summary(
    options: Options,
    started: datetime,
    month: Month,
    accounts: list[Account],
    regions: list[str],
    registries: list[Registry],
    repos: list[Repository],
    clients: Clients,
    minimum: dict[str, int],
) -> dict[str, Any]:
    calls = dict(sorted(clients.stats.calls.items()))
    attempts = dict(sorted(clients.stats.attempts.items()))
    made, least = sum(calls.values()), sum(minimum.values())
    return {
        "collected_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": "ecrcost",
        "tool_version": __version__,
        "month": str(month),
        "accounts": sorted({a.account_id for a in accounts}),
        "roles": [a.role_arn for a in accounts if a.role_arn],
        "regions": regions,
        "registries": [
            {
                "account_id": g.account_id,
                "region": g.region,
                "repositories": len(g.repositories),
                "replication_rules": g.replication,
                "blob_mounting": g.blob_mounting,
                "pull_through_cache_prefixes": g.pull_through,
            }
            for g in sorted(registries, key=lambda g: (g.account_id, g.region))
        ],
        "images": sum(len(r.images) for r in repos),
        "api": {
            "calls": calls,
            "http_attempts": attempts,
            "minimum_calls": dict(sorted(minimum.items())),
            "calls_total": made,
            "minimum_total": least,
            "ratio": round(made / least, 4) if least else None,
            "retries": sum(attempts.values()) - made,
        },
    }
