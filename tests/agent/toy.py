"""Toy toolsets for the agent's tests: a fleet of boats and a harbor of docks, kept in memory.

They are declared exactly like opsbot's own toolsets (argument kinds, phrasings, labels,
resources), so the offline model and the graph are tested on the declarations alone, with no
catalog tool involved. Reads and writes act on a ``Sea`` (a dict), so nothing touches AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools import registry
from tools.base import Effect, Plan, Resource, Risk, Tool, ToolArgs, ToolContext, Toolset
from tools.kinds import ArgKind, Count, InstanceType, Kind, Name


@dataclass
class Sea:
    """What exists: boats (crew size), docks (cranes) and berths for sale (price)."""

    boats: dict[str, int] = field(default_factory=lambda: {"sea-1": 2, "demo": 1})
    docks: dict[str, int] = field(default_factory=lambda: {"pier-7": 1, "demo": 2})
    berths: dict[str, float] = field(default_factory=lambda: {"brt-aaa111": 900.0, "brt-bbb222": 450.0})
    bought: list[str] = field(default_factory=list)


class NoArgs(ToolArgs):
    """No arguments."""


class BoatArgs(ToolArgs):
    boat_name: Annotated[str, Name("boat"), Field(description="Name of the boat, e.g. sea-1.")]


class ResizeArgs(BoatArgs):
    crew_count: Annotated[int, Count("node"), Field(ge=1, le=64, description="Crew size the boat should have.")]
    hull_type: Annotated[
        str | None, InstanceType("training"), Field(default=None, description="Hull, e.g. ml.trn2.48xlarge.")
    ] = None


class DockArgs(ToolArgs):
    dock_name: Annotated[str, Name("dock"), Field(description="Name of the dock.")]
    crane_count: Annotated[int, Count("instance"), Field(ge=1, le=8, description="Cranes the dock should have.")]


class CrewAdviceArgs(BoatArgs):
    context_tokens: Annotated[int, ArgKind(Kind.TOKENS), Field(default=4096, ge=1, description="Context.")] = 4096


class SearchArgs(ToolArgs):
    nights: Annotated[int, ArgKind(Kind.HOURS), Field(default=24, ge=1, description="How long, in hours.")] = 24


class BookArgs(ToolArgs):
    booking_name: Annotated[str, Name("booking", new=True), Field(description="Name of the new booking.")]
    berth_id: Annotated[
        str, ArgKind(Kind.ID, of="berth", listed_by="search_berths"), Field(description="Berth to buy.")
    ]


class Data(BaseModel):
    """A tool result as data."""

    data: dict[str, Any]


def _plan(tool: str, effect: Effect, risk: Risk, summary: str, args: BaseModel) -> Plan:
    return Plan(
        tool=tool,
        args=args.model_dump(mode="json"),
        effect=effect,
        risk=risk,
        summary=summary,
        aws_operations=[f"toy:{tool}"],
        cost_usd_per_hour=1.0,
    )


def toolsets(sea: Sea) -> tuple[Toolset, Toolset]:
    """The fleet and harbor toolsets over ``sea``."""

    def read(fn: Any) -> Any:
        return lambda ctx, args: Data(data=fn(args))

    def render(r: Data) -> str:
        return ", ".join(f"{k}: {v}" for k, v in r.data.items())

    def resize(ctx: ToolContext, args: ResizeArgs) -> Data:
        sea.boats[args.boat_name] = args.crew_count
        return Data(data={"boat": args.boat_name, "crew": args.crew_count})

    def sink(ctx: ToolContext, args: BoatArgs) -> Data:
        sea.boats.pop(args.boat_name, None)
        return Data(data={"sunk": args.boat_name})

    def scale_dock(ctx: ToolContext, args: DockArgs) -> Data:
        sea.docks[args.dock_name] = args.crane_count
        return Data(data={"dock": args.dock_name, "cranes": args.crane_count})

    def book(ctx: ToolContext, args: BookArgs) -> Data:
        sea.bought.append(args.berth_id)
        return Data(data={"booked": args.berth_id, "as": args.booking_name})

    fleet = Toolset(
        route="fleet",
        covers="boats: list, inspect, resize and sink them, crew advice, berths",
        tools=(
            Tool(
                "list_boats",
                "fleet",
                Effect.READ,
                Risk.READ,
                "List the boats.",
                NoArgs,
                None,
                read(lambda a: {"boats": [{"name": n, "crew": c} for n, c in sorted(sea.boats.items())]}),
                render,
                phrasings=("(list|show) [me] [all] [the|our] boats", "what boats [do] [we] [have]", "which boats"),
                label="list boats",
            ),
            Tool(
                "describe_boat",
                "fleet",
                Effect.READ,
                Risk.READ,
                "Describe one boat.",
                BoatArgs,
                None,
                read(lambda a: {"boat": a.boat_name, "crew": sea.boats.get(a.boat_name)}),
                render,
                phrasings=(
                    "(describe|show|inspect) [boat] {boat_name}",
                    "how is {boat_name} [doing]",
                    "is {boat_name} (ok|healthy|fine)",
                    "status of {boat_name}",
                ),
                label="describe a boat",
            ),
            Tool(
                "resize_boat",
                "fleet",
                Effect.WRITE,
                Risk.MEDIUM,
                "Change a boat's crew.",
                ResizeArgs,
                lambda ctx, a: _plan(
                    "resize_boat", Effect.WRITE, Risk.MEDIUM, f"resize {a.boat_name} to {a.crew_count}", a
                ),
                resize,
                render,
                phrasings=(
                    "(resize|scale) [boat] {boat_name} [to {crew_count}]",
                    "give {boat_name} {crew_count}",
                    "(on|with) {hull_type}",
                ),
                label="resize a boat",
            ),
            Tool(
                "sink_boat",
                "fleet",
                Effect.DESTRUCTIVE,
                Risk.CRITICAL,
                "Sink a boat.",
                BoatArgs,
                lambda ctx, a: _plan("sink_boat", Effect.DESTRUCTIVE, Risk.CRITICAL, f"sink {a.boat_name}", a),
                sink,
                render,
                phrasings=("(sink|delete|scuttle) [boat] {boat_name}",),
                label="sink a boat",
            ),
            Tool(
                "advise_crew",
                "fleet",
                Effect.READ,
                Risk.READ,
                "Recommend a crew size.",
                CrewAdviceArgs,
                None,
                read(
                    lambda a: {
                        "advice": "more crew",
                        "context_tokens": a.context_tokens,
                        "resize_boat_args": {"boat_name": a.boat_name, "crew_count": 5},
                    }
                ),
                render,
                phrasings=("(advise|recommend) crew for {boat_name}", "(at|with) {context_tokens} [context]"),
                label="advise on a boat's crew",
            ),
            Tool(
                "search_berths",
                "fleet",
                Effect.READ,
                Risk.READ,
                "Search berths for sale.",
                SearchArgs,
                None,
                read(lambda a: {"berths": [{"berth_id": b, "price_usd": p} for b, p in sea.berths.items()]}),
                render,
                phrasings=("(search|find) berths [for {nights}]",),
                label="search berths",
            ),
            Tool(
                "book_berth",
                "fleet",
                Effect.DESTRUCTIVE,
                Risk.HIGH,
                "Buy a berth.",
                BookArgs,
                lambda ctx, a: _plan("book_berth", Effect.DESTRUCTIVE, Risk.HIGH, f"buy {a.berth_id}", a),
                book,
                render,
                phrasings=("(buy|book) {berth_id} [as {booking_name}]", "(name|call) it {booking_name}"),
                label="buy a berth",
            ),
        ),
        resources=(
            Resource("boat", ("boat", "ship"), "list_boats", lambda d: [b["name"] for b in d["data"]["boats"]]),
            Resource("berth", ("berth",), "search_berths", lambda d: [b["berth_id"] for b in d["data"]["berths"]]),
        ),
        keywords=("boat", "boats", "fleet"),
    )
    harbor = Toolset(
        route="harbor",
        covers="docks: list and scale them",
        tools=(
            Tool(
                "list_docks",
                "harbor",
                Effect.READ,
                Risk.READ,
                "List the docks.",
                NoArgs,
                None,
                read(lambda a: {"docks": [{"name": n} for n in sorted(sea.docks)]}),
                render,
                phrasings=("(list|show) [all] [the|our] docks",),
                label="list docks",
            ),
            Tool(
                "scale_dock",
                "harbor",
                Effect.WRITE,
                Risk.MEDIUM,
                "Change a dock's cranes.",
                DockArgs,
                lambda ctx, a: _plan("scale_dock", Effect.WRITE, Risk.MEDIUM, f"scale {a.dock_name}", a),
                scale_dock,
                render,
                phrasings=("(scale|resize) [dock] {dock_name} [to {crane_count}]",),
                label="scale a dock",
            ),
        ),
        resources=(
            Resource("dock", ("dock", "pier"), "list_docks", lambda d: [x["name"] for x in d["data"]["docks"]]),
        ),
        keywords=("dock", "harbor"),
    )
    return fleet, harbor


@contextmanager
def registered(*sets: Toolset) -> Iterator[tuple[Toolset, ...]]:
    """The toolsets' tools in the registry for the duration of a test (the runtime finds them there)."""
    tools = registry._load()
    added = [t for ts in sets for t in ts.tools]
    for t in added:
        tools[t.name] = t
    try:
        yield sets
    finally:
        for t in added:
            tools.pop(t.name, None)
