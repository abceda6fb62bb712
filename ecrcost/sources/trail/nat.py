"""``--nat-gateways``: the public addresses of the account's NAT gateways (ec2 ``DescribeNatGateways``,
each region of the inventory, deleted gateways included while EC2 still lists them). A layer download
from one of them was processed by that NAT gateway: its bytes also count as NAT processing (billed
under Amazon VPC, reported apart from ECR's total)."""

from __future__ import annotations

from ..collect.coverage import AWS_ERRORS, Gap, error_code, message
from ..collect.permissions import declare
from ..collect.sessions import Clients

declare("ec2", "DescribeNatGateways", when="pulls --nat-gateways")


def nat_addresses(clients: Clients, regions: list[str]) -> tuple[list[str], list[Gap]]:
    """The NAT gateways' public IPs in ``regions``; a region that cannot be read is a gap."""
    account = clients.caller_account(regions[0])
    found: set[str] = set()
    gaps: list[Gap] = []
    for region in regions:
        ec2 = clients.client("ec2", account, region)
        try:
            for page in ec2.get_paginator("describe_nat_gateways").paginate():
                for gateway in page.get("NatGateways", []):
                    for address in gateway.get("NatGatewayAddresses", []):
                        if address.get("PublicIp"):
                            found.add(str(address["PublicIp"]))
        except AWS_ERRORS as exc:
            gaps.append(
                Gap(account.account_id, region, "", "DescribeNatGateways", error_code(exc), message(exc))
            )
    return sorted(found), gaps
