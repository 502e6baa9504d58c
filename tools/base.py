"""The shape of a tool and of a domain: typed arguments, effect, risk tier, plan, run and render.

A tool is declared once, in its domain package's ``Toolset`` (``tools/<domain>/__init__.py``), and
everything else (the registry, the runtime, the prompts and schemas the models see, the front ends)
takes it from there.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.kinds import Kind, kinds_of

if TYPE_CHECKING:
    from tools.aws import AwsClients
    from tools.config import Settings

# Tags a write puts on what it creates, so a retried or resumed run finds its own earlier attempt.
REQUEST_TAG = "opsbot:request"
REQUESTER_TAG = "opsbot:requester"


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


class AwsOperation(BaseModel):
    """One AWS call a write will make, with the parameters that identify what it touches.

    ``params`` holds top-level request parameters (names, ARNs, counts, instance groups) with
    exactly the values ``run`` passes to boto3; the mutation guard compares them with the call's
    real parameters.
    """

    model_config = ConfigDict(frozen=True)

    operation: str = Field(description="service:Operation, e.g. sagemaker:UpdateEndpointWeightsAndCapacities.")
    params: dict[str, Any] = Field(default_factory=dict)

    def matches(self, operation: str, params: dict[str, Any]) -> bool:
        """True if a call of ``operation`` with ``params`` carries every planned parameter, each equal
        as canonical JSON."""
        from tools.guard import canonical_json

        if operation != self.operation:
            return False
        return all(
            key in params and canonical_json(params[key]) == canonical_json(value) for key, value in self.params.items()
        )


class PlannedGroup(BaseModel):
    """One instance group an action asks for, so the policy can check every group's type and count."""

    name: str
    instance_type: str
    instance_count: int


class Plan(BaseModel):
    """What a call would do. Computing it never writes to AWS.

    A plan function returns only what is its own (summary, changes, AWS operations, costs, facts);
    ``tools.runtime.plan`` fills in ``tool``, ``args``, ``effect``, ``risk`` and ``region`` from the
    tool's declaration, so every plan that leaves the runtime has them.
    """

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    effect: Effect | None = None
    risk: Risk | None = None
    summary: str = Field(description="One line saying what would happen.")
    changes: list[str] = Field(default_factory=list, description="Each change, for people.")
    aws_operations: list[AwsOperation] = Field(
        default_factory=list,
        description="The AWS writes the run makes, in order, with their identifying parameters.",
    )
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

    @field_validator("aws_operations", mode="before")
    @classmethod
    def _operation_names(cls, value: Any) -> Any:
        # A bare "service:Operation" is an operation whose parameters are not pinned.
        if isinstance(value, list):
            return [{"operation": v} if isinstance(v, str) else v for v in value]
        return value

    def operation_names(self) -> list[str]:
        """The ``service:Operation`` of each planned write, in order."""
        return [op.operation for op in self.aws_operations]


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

    @property
    def sagemaker_role_arn(self) -> str:
        """The execution role of HyperPod, training jobs and models: the setting, else opsbot's
        conventional role in this account."""
        return self.settings.sagemaker_role_arn or f"arn:aws:iam::{self.account}:role/opsbot-sagemaker-execution"

    def request_tags(self) -> list[dict[str, str]]:
        """Tags that let a retried or resumed create recognise its own earlier attempt."""
        tags = []
        if self.idempotency_token:
            tags.append({"Key": REQUEST_TAG, "Value": self.idempotency_token})
        if self.requester:
            tags.append({"Key": REQUESTER_TAG, "Value": self.requester})
        return tags


@functools.cache
def _schema_text(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema())


def args_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema, a fresh copy each time. Generating it costs about 2 ms and every graph
    and every specialist step asks again, so it is made once per model and copied (as JSON text, so no
    caller can change another's)."""
    return json.loads(_schema_text(model))


A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[A, R]):
    """One catalog entry. ``plan`` must not write; ``run`` does the work through ``ctx.clients``.

    A read tool may leave ``plan`` out: its plan only says that it reads. A write or destructive
    tool must have one, listing the AWS writes its run makes.
    """

    name: str
    effect: Effect
    risk: Risk
    description: str
    args_model: type[A]
    run: Callable[[ToolContext, A], R]
    render: Callable[[R], str]
    label: str = ""  # a short verb phrase for people: "scale an endpoint"
    plan: Callable[[ToolContext, A], Plan] | None = None
    # True when running the same call again changes nothing more (a scale to a count, a delete, a
    # stop): clients outside opsbot (MCP) are told so. Reads are idempotent whatever this says.
    idempotent: bool = False
    # Turns relative arguments ("add 2 replicas", "double it": kinds DELTA and FACTOR) into the absolute
    # target read from the current state, before plan and approval, so an approval binds the count.
    # Returns the arguments with the target set and the relative arguments cleared.
    resolve: Callable[[ToolContext, A], A] | None = None
    # How people ask for it, with slots for arguments: "scale {endpoint_name} to {instance_count}".
    # Syntax: words match as words (typos forgiven), {field} is an argument recognised by its kind,
    # (a|b) is a choice, [x] or [a|b] is optional. The one source for the offline model, the
    # Bedrock specialists' examples and the eval seeds.
    phrasings: tuple[str, ...] = ()
    # A read of the same toolset whose result proposes this tool's arguments (a field ``<name>_args``),
    # e.g. a tuning recommendation for a tune. A request that names the resource but not what to change
    # ("tune kv-cache-prod") gets that advice first; "apply that" then files what it proposes.
    advised_by: str | None = None
    domain: str = ""  # the route of the toolset that declares it (filled in by ``Toolset``)

    def __post_init__(self) -> None:
        if self.effect != Effect.READ and self.plan is None:
            raise ValueError(f"tool {self.name} is a {self.effect} tool and needs a plan function")
        if (self.effect == Effect.READ) != (self.risk == Risk.READ):
            raise ValueError(f"tool {self.name}: effect {self.effect} does not go with risk {self.risk}")

    @property
    def is_write(self) -> bool:
        """True for write and destructive tools: they need an approval."""
        return self.effect != Effect.READ

    def json_schema(self) -> dict[str, Any]:
        """The argument schema, with field descriptions, as the model sees it."""
        return args_schema(self.args_model)

    def targets(self, args: dict[str, Any]) -> frozenset[tuple[str, str]]:
        """The resources a call acts on, as (kind, name) pairs read off its NAME, ARN and ID arguments.

        A name the call would create counts as (kind, "+new"): two creates of the same kind of thing
        target the same "next" resource, so renaming a pending create is a correction of it."""
        found: set[tuple[str, str]] = set()
        for field_name, kind in kinds_of(self.args_model).items():
            value = args.get(field_name)
            if kind.kind not in (Kind.NAME, Kind.ARN, Kind.ID) or kind.of is None or value in (None, ""):
                continue
            found.add((kind.of, "+new" if kind.new else str(value)))
        return frozenset(found)


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

    Everything the agent and the front ends say about a domain is derived from here. The tools'
    ``domain`` is this toolset's route.
    """

    route: str  # "training"; the supervisor's routing enum is the routes of the toolsets
    covers: str  # one sentence: what the specialist handles
    tools: tuple[Tool, ...]
    # The specialist's system prompt: the name of a prompt of the ``prompts`` package ("" -> route),
    # or the prompt itself (text with spaces in it), for toolsets that ship outside opsbot.
    prompt: str = ""
    focuses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # focus -> tool names
    resources: tuple[Resource, ...] = ()
    keywords: tuple[str, ...] = ()  # words that point at this domain without an action ("hyperpod")
    shared: bool = False  # its tools join every specialist and it has no route of its own (cost)

    def __post_init__(self) -> None:
        tools = []
        for tool in self.tools:
            if tool.domain and tool.domain != self.route:
                raise ValueError(f"tool {tool.name} says domain {tool.domain} but is in the {self.route} toolset")
            tools.append(tool if tool.domain else replace(tool, domain=self.route))
        object.__setattr__(self, "tools", tuple(tools))
        names = {t.name for t in tools}
        for focus, members in self.focuses.items():
            unknown = sorted(set(members) - names)
            if unknown:
                raise ValueError(f"focus {focus} of {self.route} names tools it does not have: {', '.join(unknown)}")
        for tool in tools:
            adviser = next((t for t in tools if t.name == tool.advised_by), None) if tool.advised_by else None
            if tool.advised_by and (adviser is None or adviser.is_write):
                raise ValueError(f"tool {tool.name} is advised by {tool.advised_by}, not a read of {self.route}")
        for resource in self.resources:
            if resource.listed_by not in names:
                raise ValueError(f"resource {resource.kind} is listed by {resource.listed_by}, not a {self.route} tool")

    def tool_names(self) -> list[str]:
        """The names of its tools, in declaration order."""
        return [t.name for t in self.tools]
