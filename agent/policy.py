"""The approval policy: who may approve what, and the limits a request must meet before anyone
is asked. Rules apply deny > ask > allow, and a policy that cannot be read refuses every write.

Approvers are people (``[people.NAME]`` with their Slack id and AWS principals); an identity the
policy does not list approves nothing at any tier, and ``"*"`` means any listed person. The policy
belongs to the deployment: live, it is read from one trusted place (``policy_source``: the bundled
file, an SSM parameter or an S3 object); a policy file of one's own (``OPSBOT_POLICY_FILE``) is for
the sandbox. Requests are checked when filed, again at approval and again just before they run,
each time against the policy in force then.
"""

from __future__ import annotations

import hashlib
import re
import time
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.views import PolicyFinding
from tools.base import Effect, Plan, Risk
from tools.catalog import catalog
from tools.config import Settings
from tools.errors import OpsbotError
from tools.guard import canonical_json

TIERS = ("low", "medium", "high", "critical")
NEVER_SELF = ("high", "critical")
PERSON = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
AWS_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(sts|iam)::\d{12}:\S+$")
BUNDLED = "policy.toml"  # a deployment's own policy, shipped inside the agent package
DEFAULT = "policy.default.toml"


class PolicyError(OpsbotError):
    """The policy is missing, malformed or unsafe; opsbot refuses writes until it is fixed."""

    exit_code = 2


class Strict(BaseModel):
    # Unknown keys are errors: a misspelt limit must not silently leave the default in force.
    model_config = ConfigDict(extra="forbid")


class ApprovalRules(Strict):
    expiry_minutes: float = Field(default=15, gt=0, le=24 * 60)
    self_approval: list[str] = Field(default_factory=lambda: ["low"])
    approvers: dict[str, list[str]]
    required_approvals: dict[str, int] = Field(default_factory=lambda: {"critical": 2})
    grant_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="How long an approved call has to start (at least until expiry)."
    )
    execution_lease_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="How long a run holds its lease before another may resume it."
    )

    @field_validator("self_approval")
    @classmethod
    def _never_high(cls, tiers: list[str]) -> list[str]:
        bad = [t for t in tiers if t in NEVER_SELF or t not in TIERS]
        if bad:
            raise ValueError(f"self_approval may only list low or medium, got {bad}")
        return tiers

    @model_validator(mode="after")
    def _complete(self) -> ApprovalRules:
        missing = [t for t in TIERS if not self.approvers.get(t)]
        if missing:
            raise ValueError(f"approvers missing for tiers {missing}")
        if self.required_approvals.get("critical", 2) < 2:
            raise ValueError("critical actions need at least 2 approvers")
        return self


class Person(Strict):
    """One person who may ask or approve, and how other systems prove it is them."""

    slack: str | None = Field(default=None, description="Slack user id, e.g. U0123ABCD.")
    aws: list[str] = Field(default_factory=list, description="Caller ARNs (STS GetCallerIdentity) that are them.")

    @field_validator("slack")
    @classmethod
    def _slack(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_ID.match(value):
            raise ValueError(f"expected a Slack user id such as U0123ABCD, got {value!r}")
        return value

    @field_validator("aws")
    @classmethod
    def _aws(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not AWS_PRINCIPAL.match(v)]
        if bad:
            raise ValueError(f"expected caller ARNs (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), got {bad}")
        return values


class Limits(Strict):
    regions: list[str]
    instance_types: list[str] = Field(default_factory=list, description="Empty: every type in the catalog.")
    max_instances_per_action: int = Field(default=64, ge=1)
    max_hourly_usd_per_action: float = Field(default=2000, gt=0, description="What the action leaves running.")
    max_added_hourly_usd_per_action: float = Field(default=2000, gt=0, description="The hourly spend it adds.")
    max_one_time_usd_per_action: float = Field(
        default=500_000, gt=0, description="Upfront fees (training plans) and the bounded cost of a run."
    )


class ToolRules(Strict):
    deny: list[str] = Field(default_factory=list)


class Policy(Strict):
    """A parsed, checked policy."""

    approval: ApprovalRules
    people: dict[str, Person] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    limits: Limits
    tools: ToolRules = Field(default_factory=ToolRules)
    source: str = "default"

    @model_validator(mode="after")
    def _people_are_consistent(self) -> Policy:
        bad = [name for name in self.people if not PERSON.match(name)]
        if bad:
            raise ValueError(f"people names must be lower-case words (a-z, 0-9, '.', '_', '-'), got {bad}")
        for group, members in self.groups.items():
            unknown = [m for m in members if m not in self.people]
            if unknown:
                raise ValueError(f"group {group} names {unknown}, who are not in [people]")
        for tier, entries in self.approval.approvers.items():
            for entry in entries:
                if entry == "*":
                    continue
                if entry.startswith("@"):
                    if entry[1:] not in self.groups:
                        raise ValueError(f"approvers.{tier}: group {entry[1:]!r} is not in [groups]")
                elif entry not in self.people:
                    raise ValueError(f"approvers.{tier}: {entry!r} is not in [people]")
        seen: dict[str, str] = {}
        for name, person in self.people.items():
            for key in ([f"slack:{person.slack}"] if person.slack else []) + [f"aws:{a}" for a in person.aws]:
                if key in seen:
                    raise ValueError(f"{key} is listed for both {seen[key]} and {name}")
                seen[key] = name
        return self

    @property
    def digest(self) -> str:
        """SHA-256 of the rules (not of where they were read from): stored with each request."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json", exclude={"source"})).encode()).hexdigest()

    # -------------------------------------------------------------- requests
    def evaluate(self, plan: Plan, requester: str, region: str) -> list[PolicyFinding]:
        """Every rule applied to a planned call; any finding with ok=False refuses it."""
        findings: list[PolicyFinding] = []

        def add(rule: str, ok: bool, message: str) -> None:
            findings.append(PolicyFinding(rule=rule, ok=ok, message=message))

        def at_most(rule: str, value: float, cap: float, value_text: str, cap_text: str) -> None:
            # Every limit reads the same way: "<value> <= limit <cap>", or ">" when it is broken.
            ok = value <= cap
            add(rule, ok, f"{value_text} {'<=' if ok else '>'} limit {cap_text}")

        if plan.effect is Effect.READ:
            add("read-only", True, "reads need no approval")
            return findings
        denied = plan.tool in self.tools.deny
        add("tool-denied", not denied, f"{plan.tool} is {'denied' if denied else 'not denied'} by policy")
        add(
            "region-allowed",
            region in self.limits.regions,
            f"region {region} {'is' if region in self.limits.regions else 'is not'} in {self.limits.regions}",
        )
        if not adds_spend(plan):
            # Deletes, stops and scale-downs lower spend: capacity limits do not hold them back.
            add("capacity-limits", True, "the action does not add capacity or spend")
            return self._approval_findings(findings, plan, requester)
        allowed = self.limits.instance_types or [i.name for i in catalog().instances]
        for itype in instance_types(plan):
            ok = itype in allowed
            add("instance-type-allowed", ok, f"{itype} {'is' if ok else 'is not'} an allowed type")
        lim = self.limits
        if plan.instance_count is not None:
            n, cap = plan.instance_count, lim.max_instances_per_action
            at_most("max-instances-per-action", n, cap, f"{n} instances", f"{cap}")
        if plan.cost_usd_per_hour is not None:
            usd, cap_usd = plan.cost_usd_per_hour, lim.max_hourly_usd_per_action
            at_most("max-hourly-spend-per-action", usd, cap_usd, f"${usd:,.2f}/h", f"${cap_usd:,.2f}/h")
        added = added_hourly(plan)
        if added is not None:
            cap_usd = lim.max_added_hourly_usd_per_action
            at_most("max-added-hourly-spend-per-action", added, cap_usd, f"+${added:,.2f}/h", f"+${cap_usd:,.2f}/h")
        once = one_time(plan)
        if once is not None:
            (usd, what), cap_usd = once, lim.max_one_time_usd_per_action
            at_most("max-one-time-spend-per-action", usd, cap_usd, f"{what} ${usd:,.2f}", f"${cap_usd:,.2f}")
        return self._approval_findings(findings, plan, requester)

    def _approval_findings(self, findings: list[PolicyFinding], plan: Plan, requester: str) -> list[PolicyFinding]:
        needed = self.approvals_needed(plan.risk)
        who = self.describe_approvers(str(plan.risk))
        findings.append(
            PolicyFinding(
                rule="approvers-for-tier", ok=True, message=f"risk {plan.risk}: {needed} approval(s) from {who}"
            )
        )
        if str(plan.risk) not in self.approval.self_approval:
            msg = f"{requester} cannot approve their own {plan.risk}-risk request"
            findings.append(PolicyFinding(rule="no-self-approval", ok=True, message=msg))
        return findings

    def describe_approvers(self, tier: str) -> str:
        """Who may approve a tier, in words: "anyone listed", or names and groups with their members."""
        parts = []
        for entry in self.approval.approvers.get(tier, []):
            if entry == "*":
                parts.append(f"any listed person ({', '.join(self.people) or 'nobody'})")
            elif entry.startswith("@"):
                parts.append(f"{entry[1:]} ({', '.join(self.groups.get(entry[1:], [])) or 'nobody'})")
            else:
                parts.append(entry)
        return ", ".join(parts) or "nobody"

    def approvals_needed(self, risk: Risk | str) -> int:
        tier = str(risk)
        default = 2 if tier == "critical" else 1
        return max(self.approval.required_approvals.get(tier, default), default)

    # ------------------------------------------------------------- approvers
    def may_approve(self, user: str, risk: Risk | str, requester: str) -> str | None:
        """None if ``user`` may approve a request of this tier by ``requester``, else the reason."""
        tier = str(risk)
        if user not in self.people:
            return (
                f"approvers-for-tier: {user} is not a person listed in the policy; an unlisted identity "
                "approves nothing"
            )
        if user == requester and (tier in NEVER_SELF or tier not in self.approval.self_approval):
            return f"no-self-approval: {user} requested this {tier}-risk action and cannot approve it"
        if not self._in_list(user, self.approval.approvers.get(tier, [])):
            who = self.describe_approvers(tier)
            return f"approvers-for-tier: {user} may not approve {tier}-risk actions (allowed: {who})"
        return None

    def is_approver(self, user: str, risk: Risk | str) -> bool:
        """True if ``user`` is a listed person the policy lets approve this tier (self-approval aside)."""
        return user in self.people and self._in_list(user, self.approval.approvers.get(str(risk), []))

    def _in_list(self, user: str, entries: list[str]) -> bool:
        if user not in self.people:
            return False
        for entry in entries:
            if entry == "*":
                return True  # any listed person
            if entry.startswith("@") and user in self.groups.get(entry[1:], []):
                return True
            if entry == user:
                return True
        return False

    def identity(self, system: str, external_id: str) -> str:
        """The person behind an id of another system (a Slack user id, an AWS caller ARN).

        Unlisted ids keep a prefix (``slack:U…``, ``aws:NAME``), so they can never be taken for a person.
        """
        for name, person in self.people.items():
            if (system == "slack" and person.slack == external_id) or (system == "aws" and external_id in person.aws):
                return name
        if system == "aws":
            return f"aws:{principal_name(external_id)}"
        return f"{system}:{external_id}"


def principal_name(arn: str) -> str:
    """The person-like name in a caller ARN: an assumed role's session name, an IAM user's name."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return rest.split("/", 1)[-1]  # role-name/session-name
    if kind in ("user", "federated-user"):
        return rest.rsplit("/", 1)[-1]  # user paths: user/path/to/name
    return resource  # "root" and anything unusual: the whole resource, never silently empty


# ------------------------------------------------------------------------- what a plan spends
def adds_spend(plan: Plan) -> bool:
    """True when the action adds capacity or spend of any kind (hourly, upfront, one-time)."""
    if (upfront(plan) or 0) > 0:
        return True
    delta = plan.facts.get("cost_usd_per_hour_delta")
    if delta is not None:
        return delta > 0
    if plan.effect is Effect.WRITE:
        return True  # a create, or a change whose cost is unknown: the limits apply
    # Destructive actions normally end spend; one that costs something (a purchase) is held to the limits.
    return (plan.cost_usd_per_hour or 0) > 0 or (plan.cost_usd_total or 0) > 0


def instance_types(plan: Plan) -> list[str]:
    """Every instance type the action asks for: each instance group's, not only the costliest."""
    types = [plan.instance_type] if plan.instance_type else []
    types += [g.instance_type for g in plan.instance_groups]
    # Plans that keep their groups in facts only (older records) are checked all the same.
    types += list(plan.facts.get("instance_types") or [])
    types += [g.get("instance_type") for g in plan.facts.get("instance_groups") or [] if isinstance(g, dict)]
    return list(dict.fromkeys(t for t in types if t))


def upfront(plan: Plan) -> float | None:
    """The one-time fee the action charges when it runs (a training plan's), if any."""
    if plan.upfront_usd is not None:
        return plan.upfront_usd
    fee = plan.facts.get("upfront_fee_usd")
    return float(fee) if fee is not None else None


def added_hourly(plan: Plan) -> float | None:
    """The hourly spend the action adds: the change for a scale, the new spend for a create."""
    delta = plan.facts.get("cost_usd_per_hour_delta")
    if delta is not None:
        return float(delta)
    return plan.cost_usd_per_hour


def one_time(plan: Plan) -> tuple[float, str] | None:
    """(amount, what it is) of one-time spend: an upfront fee, or the bounded cost of a run."""
    fee = upfront(plan)
    if fee is not None:
        return fee, "upfront fee"
    if plan.cost_usd_total is not None:
        return plan.cost_usd_total, "one-time cost"
    return None


# ------------------------------------------------------------------------------------ loading
def parse_policy(text: str, source: str) -> Policy:
    """A policy from its TOML text; anything wrong is one ``PolicyError`` naming the place and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy {source} is not valid TOML ({exc}); writes are refused") from None
    if "identities" in data:
        raise PolicyError(
            f"policy {source}: [identities] is no longer read; list each person as [people.NAME] with "
            'slack = "U..." and aws = ["arn:aws:sts::..."]; writes are refused'
        )
    try:
        return Policy.model_validate({**data, "source": source})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise PolicyError(f"policy {source}: {where}: {msg}; writes are refused") from None


def bundled_text() -> tuple[str, str]:
    """The deployment's bundled policy (agent/policy.toml, shipped by deploy.package), else the default."""
    package = resources.files("agent")
    own = package.joinpath(BUNDLED)
    if own.is_file():
        return own.read_text(), "bundled"
    return package.joinpath(DEFAULT).read_text(), "default"


@lru_cache(maxsize=8)
def _file_policy(path: str, mtime: float) -> Policy:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist; writes are refused until it does") from None
    return parse_policy(text, path)


@lru_cache(maxsize=2)
def _bundled_policy() -> Policy:
    text, source = bundled_text()
    return parse_policy(text, source)


# The rules in force are the ones in the parameter or object now: read again at each request, decision
# and run, but at most every few seconds, since one decision asks for the policy several times.
REMOTE_TTL_SECONDS = 5.0
_remote: dict[tuple[str, str | None, str, str | None], tuple[float, Policy]] = {}


def _remote_policy(settings: Settings) -> Policy:
    key = (settings.policy_source, settings.profile, settings.region, settings.endpoint_url)
    cached = _remote.get(key)
    if cached is not None and time.monotonic() - cached[0] < REMOTE_TTL_SECONDS:
        return cached[1]
    policy = parse_policy(_fetch(settings, settings.policy_source), settings.policy_source)
    _remote[key] = (time.monotonic(), policy)
    return policy


def _fetch(settings: Settings, source: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from tools.errors import aws_error_message

    session = boto3.Session(profile_name=settings.profile) if settings.profile else boto3.Session()
    try:
        if source.startswith("ssm:"):
            ssm = session.client("ssm", region_name=settings.region, endpoint_url=settings.endpoint_url)
            return str(ssm.get_parameter(Name=source[4:], WithDecryption=True)["Parameter"]["Value"])
        bucket, _, key = source[len("s3://") :].partition("/")
        s3 = session.client("s3", region_name=settings.region, endpoint_url=settings.endpoint_url)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except (BotoCoreError, ClientError) as exc:
        raise PolicyError(f"policy {source} could not be read ({aws_error_message(exc)}); writes are refused") from None


def load_policy(settings: Settings) -> Policy:
    """The policy in force.

    Live: from the deployment's ``policy_source`` only (bundled, ``ssm:NAME`` or ``s3://BUCKET/KEY``);
    OPSBOT_POLICY_FILE is refused there, because the requester's environment must not choose the
    rules. Sandbox: OPSBOT_POLICY_FILE if set (to try a policy), else the bundled one.
    """
    if settings.live:
        if settings.policy_file:
            raise PolicyError(
                f"OPSBOT_POLICY_FILE ({settings.policy_file}) applies to the sandbox only: live policy belongs to "
                "the deployment (OPSBOT_POLICY_SOURCE: bundled, ssm:NAME or s3://BUCKET/KEY)"
            )
        if settings.policy_source == "bundled":
            return _bundled_policy()
        return _remote_policy(settings)
    path = settings.policy_file
    if not path:
        return _bundled_policy()
    full = Path(path).expanduser()
    mtime = full.stat().st_mtime if full.exists() else 0.0
    return _file_policy(str(full), mtime)
