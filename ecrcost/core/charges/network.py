"""Network charges that pulls cause outside ECR's bill: bytes processed by a NAT gateway or an interface
endpoint on their way to ECR (billed under Amazon VPC and AWS PrivateLink; reported apart, never in
the ECR total)."""

from __future__ import annotations

from .base import Charge, Flat
from .registry import register

register(
    Charge(
        name="nat_gateway",
        label="NAT gateway processing",
        measure="nat_gateway_gb",
        registry="any",
        bill="network",
        reports=("nat_gateway_gb",),
        unit="GB",
        pricing=Flat(),
        item="nat_gateway",
        usage_type="{code}-NatGateway-Bytes",
        description="NAT gateway data processing of pulled bytes",
    )
)
register(
    Charge(
        name="interface_endpoint",
        label="Interface endpoint processing",
        measure="interface_endpoint_gb",
        registry="any",
        bill="network",
        reports=("interface_endpoint_gb",),
        unit="GB",
        pricing=Flat(),
        item="interface_endpoint",
        usage_type="{code}-VpcEndpoint-Bytes",
        description="Interface endpoint data processing of pulled bytes",
    )
)
