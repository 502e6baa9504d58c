"""What a real HyperPod create needs before it is worth asking anyone: the lifecycle script, the
execution role, and a network the instances can use.

Each check reads AWS (never writes) and says what it found. A check that finds something missing or
wrong refuses the plan with the reason (a ToolInputError naming the argument or setting to fix); one
that cannot tell (access denied to the reader) is reported as a warning and does not refuse.

- lifecycle: the ``on_create`` script object exists under the lifecycle S3 prefix.
- role: the execution role exists and its trust policy lets sagemaker.amazonaws.com assume it.
- network: the subnets and security groups exist, in one VPC; for an instance type with EFA, a
  security group allows all traffic in from itself and out to itself (what EFA's OS-bypass traffic
  needs). When none are given and the account has exactly one VPC prepared for HyperPod (named
  opsbot-hyperpod or tagged opsbot:hyperpod, with subnets and an EFA-ready group), the cluster uses
  it (``network_for``); otherwise it runs in SageMaker's own VPC and there is nothing to check.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tools.aws import error_code
from tools.base import ToolContext
from tools.catalog import catalog
from tools.errors import ToolInputError

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
MISSING = ("404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchEntity")
UNREADABLE = ("403", "AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


@dataclass(frozen=True)
class Check:
    """One readiness check: what was checked, whether it passed (None: could not tell), and why."""

    name: str
    ok: bool | None
    detail: str

    def line(self) -> str:
        """For the plan's changes."""
        mark = {True: "ok", False: "MISSING", None: "not checked"}[self.ok]
        return f"{self.name}: {mark}: {self.detail}"


def _bucket_key(uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    return bucket, key


def check_lifecycle(ctx: ToolContext, uri: str, script: str, field: str) -> Check:
    """The on-create script exists at ``uri``/``script``; refuses (naming ``field``) when it does not."""
    bucket, prefix = _bucket_key(uri)
    key = f"{prefix.rstrip('/')}/{script}" if prefix.strip("/") else script
    where = f"s3://{bucket}/{key}"
    try:
        head = ctx.clients.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = error_code(exc)
        if code in MISSING:
            raise ToolInputError(
                field,
                uri,
                f"no lifecycle script {where} ({code}); upload the HyperPod lifecycle scripts there, or point "
                "lifecycle_s3_uri (or OPSBOT_HYPERPOD_LIFECYCLE_S3_URI) at where they are",
            ) from None
        if code in UNREADABLE:
            return Check("lifecycle script", None, f"{where}: cannot read it ({code}), so it was not checked")
        raise
    return Check("lifecycle script", True, f"{where} ({head.get('ContentLength', 0):,} bytes)")


def _trust_document(role: dict[str, Any]) -> dict[str, Any]:
    doc = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(doc, str):  # the raw API URL-encodes the JSON; boto3 usually decodes it already
        doc = json.loads(urllib.parse.unquote(doc))
    return dict(doc)


def trusts_sagemaker(document: dict[str, Any]) -> bool:
    """True if a statement allows sagemaker.amazonaws.com to sts:AssumeRole."""
    statements = document.get("Statement") or []
    for stmt in statements if isinstance(statements, list) else [statements]:
        actions = stmt.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        services = (stmt.get("Principal") or {}).get("Service") or []
        services = [services] if isinstance(services, str) else services
        if (
            stmt.get("Effect") == "Allow"
            and SAGEMAKER_PRINCIPAL in services
            and ("sts:AssumeRole" in actions or "sts:*" in actions)
        ):
            return True
    return False


def check_role(ctx: ToolContext, role_arn: str) -> Check:
    """The execution role exists and trusts SageMaker; refuses, naming the setting, when not."""
    field = "sagemaker_role_arn (OPSBOT_SAGEMAKER_ROLE_ARN)"
    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = ctx.clients.client("iam").get_role(RoleName=name)["Role"]
    except ClientError as exc:
        code = error_code(exc)
        if code in MISSING:
            raise ToolInputError(
                field, role_arn, "no such IAM role; create the SageMaker execution role or set its ARN"
            ) from None
        if code in UNREADABLE:
            return Check("execution role", None, f"{role_arn}: cannot read it ({code}), so it was not checked")
        raise
    if not trusts_sagemaker(_trust_document(role)):
        raise ToolInputError(
            field,
            role_arn,
            f"the role's trust policy does not let {SAGEMAKER_PRINCIPAL} assume it (sts:AssumeRole); "
            "HyperPod could not start its instances with it",
        )
    return Check("execution role", True, f"{role_arn} exists and trusts {SAGEMAKER_PRINCIPAL}")


def _all_traffic_with_itself(rules: list[dict[str, Any]], group_id: str, outbound: bool) -> bool:
    for rule in rules:
        if rule.get("IpProtocol") != "-1":
            continue
        if any(pair.get("GroupId") == group_id for pair in rule.get("UserIdGroupPairs") or []):
            return True
        # Outbound "all traffic to anywhere" includes the group itself.
        if outbound and any(r.get("CidrIp") == "0.0.0.0/0" for r in rule.get("IpRanges") or []):
            return True
    return False


def efa_ready(group: dict[str, Any]) -> bool:
    """True if the security group allows all traffic in from itself and out to itself."""
    gid = group["GroupId"]
    return _all_traffic_with_itself(group.get("IpPermissions") or [], gid, outbound=False) and (
        _all_traffic_with_itself(group.get("IpPermissionsEgress") or [], gid, outbound=True)
    )


def efa_types(instance_types: list[str]) -> list[str]:
    """The instance types among these that use EFA (the catalog says which)."""
    return [t for t in dict.fromkeys(instance_types) if (row := catalog().get(t)) is not None and row.efa]


def check_network(
    ctx: ToolContext, subnet_ids: list[str] | None, security_group_ids: list[str] | None, instance_types: list[str]
) -> list[Check]:
    """Subnets and security groups exist in one VPC, and EFA types get a group that talks to itself."""
    efa = efa_types(instance_types)
    if not subnet_ids and not security_group_ids:
        where = "SageMaker's own VPC (no subnets or security groups given)"
        checks = [Check("network", True, where)]
        if efa:
            checks.append(Check("EFA", True, f"{', '.join(efa)}: EFA in {where}"))
        return checks
    ec2 = ctx.clients.client("ec2")
    try:
        subnets = ec2.describe_subnets(SubnetIds=list(subnet_ids or []))["Subnets"]
        groups = ec2.describe_security_groups(GroupIds=list(security_group_ids or []))["SecurityGroups"]
    except ClientError as exc:
        code = error_code(exc)
        if "NotFound" in code:
            field = "subnet_ids" if "Subnet" in code else "security_group_ids"
            value = subnet_ids if field == "subnet_ids" else security_group_ids
            raise ToolInputError(
                field, value, f"AWS does not know it: {exc.response['Error'].get('Message')}"
            ) from None
        if code in UNREADABLE:
            return [Check("network", None, f"cannot read the subnets and security groups ({code})")]
        raise
    vpcs = {s["VpcId"] for s in subnets} | {g["VpcId"] for g in groups}
    if len(vpcs) > 1:
        raise ToolInputError(
            "security_group_ids",
            security_group_ids,
            f"subnets and security groups must be in one VPC; found {sorted(vpcs)}",
        )
    zones = sorted({s["AvailabilityZone"] for s in subnets})
    checks = [
        Check(
            "network",
            True,
            f"VPC {next(iter(vpcs))}: subnets {', '.join(subnet_ids or [])} ({', '.join(zones)}), security groups "
            f"{', '.join(security_group_ids or [])}",
        )
    ]
    if efa:
        ready = [g["GroupId"] for g in groups if efa_ready(g)]
        if not ready:
            raise ToolInputError(
                "security_group_ids",
                security_group_ids,
                f"{', '.join(efa)} use EFA, which needs a security group that allows all traffic in from itself and "
                f"out to itself; none of {', '.join(security_group_ids or [])} does. Add an inbound and an outbound "
                "rule 'All traffic' whose source and destination is the group itself",
            )
        checks.append(Check("EFA", True, f"{', '.join(efa)}: {', '.join(ready)} allows all traffic to and from itself"))
    return checks


# A VPC is prepared for HyperPod when it is named so (opsbot's own setup, the sandbox's seed) or tagged
# opsbot:hyperpod, and has subnets and a security group ready for EFA.
PREPARED_NAME = "opsbot-hyperpod"
PREPARED_TAG = "opsbot:hyperpod"


@dataclass(frozen=True)
class Network:
    """Where a new cluster's instances go: subnets and security groups (none: SageMaker's own VPC), and why."""

    subnet_ids: list[str]
    security_group_ids: list[str]
    why: str


def _prepared(vpc: dict[str, Any]) -> bool:
    tags = {t.get("Key"): t.get("Value") for t in vpc.get("Tags") or []}
    return tags.get("Name") == PREPARED_NAME or PREPARED_TAG in tags


def network_for(ctx: ToolContext, subnet_ids: list[str] | None, security_group_ids: list[str] | None) -> Network:
    """The subnets and groups given; when none are, the account's one VPC prepared for HyperPod (its
    subnets and EFA-ready groups); otherwise SageMaker's own VPC. Reads EC2, never writes."""
    if subnet_ids or security_group_ids:
        return Network(list(subnet_ids or []), list(security_group_ids or []), "the subnets and security groups given")
    ec2 = ctx.clients.client("ec2")
    try:
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if _prepared(v)]
        ready = []
        for vpc in vpcs:
            where = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
            subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=where)["Subnets"]]
            groups = [
                g["GroupId"] for g in ec2.describe_security_groups(Filters=where)["SecurityGroups"] if efa_ready(g)
            ]
            if subnets and groups:
                ready.append((vpc["VpcId"], sorted(subnets), sorted(groups)))
    except ClientError as exc:
        code = error_code(exc)
        if code not in UNREADABLE:
            raise
        return Network([], [], f"SageMaker's own VPC: could not look for a VPC prepared for HyperPod ({code})")
    if len(ready) == 1:
        vpc_id, subnets, groups = ready[0]
        return Network(
            subnets, groups, f"VPC {vpc_id} ({PREPARED_NAME}), the account's one VPC prepared for HyperPod (EFA-ready)"
        )
    found = f"{len(ready)} VPCs prepared for HyperPod" if ready else "no VPC prepared for HyperPod"
    return Network([], [], f"SageMaker's own VPC: no subnets given and {found} (name one with subnet_ids)")
