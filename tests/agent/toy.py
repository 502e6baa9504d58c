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


def _plan(tool: str, summary: str) -> Plan:
    return Plan(summary=summary, aws_operations=[f"toy:{tool}"], cost_usd_per_hour=1.0)


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

    def boats(a: Any) -> dict[str, Any]:
        return {"boats": [{"name": n, "crew": c} for n, c in sorted(sea.boats.items())]}

    def advice(a: Any) -> dict[str, Any]:
        proposal = {"boat_name": a.boat_name, "crew_count": 5}
        return {"advice": "more crew", "context_tokens": a.context_tokens, "resize_boat_args": proposal}

    fleet = Toolset(
        route="fleet",
        covers="boats: list, inspect, resize and sink them, crew advice, berths",
        tools=(
            Tool(
                name="list_boats",
                description="List the boats.",
                label="list boats",
                phrasings=("(list|show) [me] [all] [the|our] boats", "what boats [do] [we] [have]", "which boats"),
                effect=Effect.READ,
                risk=Risk.READ,
                args_model=NoArgs,
                run=read(boats),
                render=render,
            ),
            Tool(
                name="describe_boat",
                description="Describe one boat.",
                label="describe a boat",
                phrasings=(
                    "(describe|show|inspect) [boat] {boat_name}",
                    "how is {boat_name} [doing]",
                    "is {boat_name} (ok|healthy|fine)",
                    "status of {boat_name}",
                ),
                effect=Effect.READ,
                risk=Risk.READ,
                args_model=BoatArgs,
                run=read(lambda a: {"boat": a.boat_name, "crew": sea.boats.get(a.boat_name)}),
                render=render,
            ),
            Tool(
                name="resize_boat",
                description="Change a boat's crew.",
                label="resize a boat",
                phrasings=(
                    "(resize|scale) [boat] {boat_name} [to {crew_count}]",
                    "give {boat_name} {crew_count}",
                    "(on|with) {hull_type}",
                ),
                effect=Effect.WRITE,
                risk=Risk.MEDIUM,
                args_model=ResizeArgs,
                plan=lambda ctx, a: _plan("resize_boat", f"resize {a.boat_name} to {a.crew_count}"),
                run=resize,
                render=render,
            ),
            Tool(
                name="sink_boat",
                description="Sink a boat.",
                label="sink a boat",
                phrasings=("(sink|delete|scuttle) [boat] {boat_name}",),
                effect=Effect.DESTRUCTIVE,
                risk=Risk.CRITICAL,
                args_model=BoatArgs,
                plan=lambda ctx, a: _plan("sink_boat", f"sink {a.boat_name}"),
                run=sink,
                render=render,
            ),
            Tool(
                name="advise_crew",
                description="Recommend a crew size.",
                label="advise on a boat's crew",
                phrasings=("(advise|recommend) crew for {boat_name}", "(at|with) {context_tokens} [context]"),
                effect=Effect.READ,
                risk=Risk.READ,
                args_model=CrewAdviceArgs,
                run=read(advice),
                render=render,
            ),
            Tool(
                name="search_berths",
                description="Search berths for sale.",
                label="search berths",
                phrasings=("(search|find) berths [for {nights}]",),
                effect=Effect.READ,
                risk=Risk.READ,
                args_model=SearchArgs,
                run=read(lambda a: {"berths": [{"berth_id": b, "price_usd": p} for b, p in sea.berths.items()]}),
                render=render,
            ),
            Tool(
                name="book_berth",
                description="Buy a berth.",
                label="buy a berth",
                phrasings=("(buy|book) {berth_id} [as {booking_name}]", "(name|call) it {booking_name}"),
                effect=Effect.DESTRUCTIVE,
                risk=Risk.HIGH,
                args_model=BookArgs,
                plan=lambda ctx, a: _plan("book_berth", f"buy {a.berth_id}"),
                run=book,
                render=render,
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
                name="list_docks",
                description="List the docks.",
                label="list docks",
                phrasings=("(list|show) [all] [the|our] docks",),
                effect=Effect.READ,
                risk=Risk.READ,
                args_model=NoArgs,
                run=read(lambda a: {"docks": [{"name": n} for n in sorted(sea.docks)]}),
                render=render,
            ),
            Tool(
                name="scale_dock",
                description="Change a dock's cranes.",
                label="scale a dock",
                phrasings=("(scale|resize) [dock] {dock_name} [to {crane_count}]",),
                effect=Effect.WRITE,
                risk=Risk.MEDIUM,
                args_model=DockArgs,
                plan=lambda ctx, a: _plan("scale_dock", f"scale {a.dock_name}"),
                run=scale_dock,
                render=render,
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
    """The toolsets registered for the duration of a test (the runtime finds their tools there)."""
    for ts in sets:
        registry.register(ts)
    try:
        yield sets
    finally:
        for ts in sets:
            registry.unregister(ts)
