"""The approval policy: who may approve what, and the limits a request must meet before anyone
is asked. Rules apply deny > ask > allow, and a policy that cannot be read refuses every write.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agent.views import PolicyFinding
from tools.base import Effect, Plan, Risk
from tools.catalog import catalog
from tools.config import Settings
from tools.errors import OpsbotError

TIERS = ("low", "medium", "high", "critical")
NEVER_SELF = ("high", "critical")


class PolicyError(OpsbotError):
    """The policy file is missing, malformed or unsafe; opsbot refuses writes until it is fixed."""

    exit_code = 2


class ApprovalRules(BaseModel):
    expiry_minutes: float = Field(default=15, gt=0, le=24 * 60)
    self_approval: list[str] = Field(default_factory=lambda: ["low"])
    approvers: dict[str, list[str]]
    required_approvals: dict[str, int] = Field(default_factory=lambda: {"critical": 2})

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


class Limits(BaseModel):
    regions: list[str]
    instance_types: list[str] = Field(default_factory=list)
    max_instances_per_action: int = Field(default=64, ge=1)
    max_hourly_usd_per_action: float = Field(default=2000, gt=0)


class ToolRules(BaseModel):
    deny: list[str] = Field(default_factory=list)


class Policy(BaseModel):
    """A parsed, checked policy file."""

    approval: ApprovalRules
    groups: dict[str, list[str]] = Field(default_factory=dict)
    limits: Limits
    tools: ToolRules = Field(default_factory=ToolRules)
    identities: dict[str, dict[str, str]] = Field(default_factory=dict)
    source: str = "default"

    # -------------------------------------------------------------- requests
    def evaluate(self, plan: Plan, requester: str, region: str) -> list[PolicyFinding]:
        """Every rule applied to a planned call; any finding with ok=False refuses it."""
        findings: list[PolicyFinding] = []

        def add(rule: str, ok: bool, message: str) -> None:
            findings.append(PolicyFinding(rule=rule, ok=ok, message=message))

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
        delta = plan.facts.get("cost_usd_per_hour_delta")
        grows = plan.effect is Effect.WRITE and (delta is None or delta > 0)
        if not grows:
            # Deletes, stops and scale-downs lower spend: capacity limits do not hold them back.
            add("capacity-limits", True, "the action does not add capacity or spend")
            return self._approval_findings(findings, plan, requester)
        if plan.instance_type:
            allowed = self.limits.instance_types or [i.name for i in catalog().instances]
            ok = plan.instance_type in allowed
            add("instance-type-allowed", ok, f"{plan.instance_type} {'is' if ok else 'is not'} an allowed type")
        if plan.instance_count is not None:
            cap = self.limits.max_instances_per_action
            ok = plan.instance_count <= cap
            add("max-instances-per-action", ok, f"{plan.instance_count} instances {'<=' if ok else '>'} limit {cap}")
        if plan.cost_usd_per_hour is not None:
            cap_usd = self.limits.max_hourly_usd_per_action
            ok = plan.cost_usd_per_hour <= cap_usd
            add(
                "max-hourly-spend-per-action",
                ok,
                f"${plan.cost_usd_per_hour:,.2f}/h {'<=' if ok else '>'} limit ${cap_usd:,.2f}/h",
            )
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
        """Who may approve a tier, in words: "anyone", or names and groups with their members."""
        parts = []
        for entry in self.approval.approvers.get(tier, []):
            if entry == "*":
                parts.append("anyone known to opsbot")
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
        if user == requester and (tier in NEVER_SELF or tier not in self.approval.self_approval):
            return f"no-self-approval: {user} requested this {tier}-risk action and cannot approve it"
        if not self._in_list(user, self.approval.approvers.get(tier, [])):
            who = self.describe_approvers(tier)
            return f"approvers-for-tier: {user} may not approve {tier}-risk actions (allowed: {who})"
        return None

    def _in_list(self, user: str, entries: list[str]) -> bool:
        for entry in entries:
            if entry == "*" and not user.startswith("slack:"):
                return True  # anyone known to opsbot; unmapped Slack users are not known
            if entry.startswith("@") and user in self.groups.get(entry[1:], []):
                return True
            if entry == user:
                return True
        return False

    def identity(self, system: str, external_id: str) -> str:
        """The person behind an id of another system (e.g. a Slack user id)."""
        return self.identities.get(system, {}).get(external_id, f"{system}:{external_id}")


def _read(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files("agent").joinpath("policy.default.toml").read_text()
        return tomllib.loads(text), "default"
    try:
        return tomllib.loads(Path(path).expanduser().read_text()), str(path)
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist; writes are refused until it does") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid TOML ({exc}); writes are refused") from None


@lru_cache(maxsize=8)
def _load_cached(path: str | None, mtime: float) -> Policy:
    data, source = _read(Path(path) if path else None)
    try:
        return Policy.model_validate({**data, "source": source})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise PolicyError(f"policy {source}: {where}: {err['msg']}; writes are refused") from None


def load_policy(settings: Settings) -> Policy:
    """The policy in force: OPSBOT_POLICY_FILE or the bundled default."""
    path = settings.policy_file
    mtime = Path(path).expanduser().stat().st_mtime if path and Path(path).expanduser().exists() else 0.0
    return _load_cached(str(path) if path else None, mtime)
