"""The shape of a tool: typed arguments, effect, risk tier, plan, run and render.

A tool is declared once (see ``Tool``) and every front end takes it from ``tools.registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from tools.aws import AwsClients
    from tools.config import Settings


class Effect(StrEnum):
    """What a tool does to AWS."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class Risk(StrEnum):
    """Risk tier; the policy says who may approve each."""

    READ = "read"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ToolArgs(BaseModel):
    """Base of every argument model: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PlannedGroup(BaseModel):
    """One instance group an action asks for, so the policy can check every group's type and count."""

    name: str
    instance_type: str
    instance_count: int


class Plan(BaseModel):
    """What a call would do. Computing it never writes to AWS."""

    tool: str
    args: dict[str, Any]
    effect: Effect
    risk: Risk
    summary: str = Field(description="One line saying what would happen.")
    changes: list[str] = Field(default_factory=list, description="Each change, for people.")
    aws_operations: list[str] = Field(default_factory=list, description="service:Operation pairs the run will call.")
    cost_usd_per_hour: float | None = Field(
        default=None,
        description="Hourly spend of what the action leaves running: the new resource for a create, the new "
        "total for a scale or tune, 0 for a delete or stop. The change is in facts['cost_usd_per_hour_delta'].",
    )
    cost_usd_total: float | None = Field(default=None, description="Spend for the run, when bounded.")
    cost_note: str | None = None
    instance_type: str | None = Field(default=None, description="Instance type involved, for policy.")
    instance_count: int | None = Field(default=None, description="Instances the action asks for.")
    instance_groups: list[PlannedGroup] = Field(
        default_factory=list, description="Every instance group the action asks for (HyperPod), for policy."
    )
    upfront_usd: float | None = Field(
        default=None, description="One-time fee charged when the action runs (a training plan), for policy."
    )
    region: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict, description="Other policy-relevant facts.")
    warnings: list[str] = Field(default_factory=list)


class ToolOutcome(BaseModel):
    """A finished run: the typed result as data, and its rendering for people."""

    tool: str
    ok: bool = True
    result: dict[str, Any] = Field(default_factory=dict)
    text: str = ""


@dataclass
class ToolContext:
    """What a tool gets at run time: settings and AWS clients, never globals."""

    settings: Settings
    clients: AwsClients
    requester: str | None = None
    thread: str | None = None
    # Set for approved writes: the approval id. Tools use it as ClientToken and as the
    # ``opsbot:request`` tag so a retried or resumed create finds its own earlier attempt.
    idempotency_token: str | None = None

    @property
    def region(self) -> str:
        return self.clients.region

    @property
    def account(self) -> str:
        return self.clients.account_id


A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[A, R]):
    """One catalog entry. ``plan`` must not write; ``run`` does the work through ``ctx.clients``."""

    name: str
    domain: str
    effect: Effect
    risk: Risk
    description: str
    args_model: type[A]
    plan: Callable[[ToolContext, A], Plan]
    run: Callable[[ToolContext, A], R]
    render: Callable[[R], str]
    # How people ask for it, with slots for arguments: "scale {endpoint_name} to {instance_count}".
    # Syntax: words match as words (typos forgiven), {field} is an argument recognised by its kind,
    # (a|b) is a choice, [x] or [a|b] is optional. The one source for the offline model, the
    # Bedrock specialists' examples and the eval seeds.
    phrasings: tuple[str, ...] = ()
    label: str = ""  # a short verb phrase for people: "scale an endpoint"

    @property
    def is_write(self) -> bool:
        """True for write and destructive tools: they need an approval."""
        return self.effect is not Effect.READ

    def json_schema(self) -> dict[str, Any]:
        """The argument schema, with field descriptions, as the model sees it."""
        return self.args_model.model_json_schema()


class AwsOperation(BaseModel):
    """One AWS call a write will make, with the parameters that identify what it touches.

    ``params`` holds top-level request parameters (names, ARNs, counts) that the call must carry
    exactly; the mutation guard compares them with the call's real parameters.
    """

    model_config = ConfigDict(frozen=True)

    operation: str = Field(description="service:Operation, e.g. sagemaker:UpdateEndpointWeightsAndCapacities.")
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """A kind of resource a domain manages, and how opsbot learns the names that exist."""

    kind: str  # "endpoint", "hyperpod_cluster", "training_job", "cache", "bucket", ...
    nouns: tuple[str, ...]  # how people call it: ("endpoint", "inference endpoint")
    listed_by: str  # the read tool whose result lists them
    names: Callable[[dict[str, Any]], list[str]]  # the names in that tool's result (as data)


@dataclass(frozen=True)
class Toolset:
    """One domain: its route, what it covers, its specialist prompt, focuses, resources and tools.

    Everything the agent and the front ends say about a domain is derived from here.
    """

    route: str  # "training"; the supervisor's routing enum is the routes of the toolsets
    covers: str  # one sentence: what the specialist handles
    tools: tuple[Tool, ...]
    prompt: str = ""  # the specialist's system prompt file, prompts/<prompt>.md ("" -> route)
    focuses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # focus -> tool names
    resources: tuple[Resource, ...] = ()
    keywords: tuple[str, ...] = ()  # words that point at this domain without an action ("hyperpod")
    shared: bool = False  # its tools join every specialist and it has no route of its own (cost)
