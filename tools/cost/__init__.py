"""What things cost: estimate_cost, from the instance catalog. A shared toolset: its tools join
every specialist, so a cost question is answered wherever it is asked."""

from __future__ import annotations

from tools.base import Toolset
from tools.cost.estimate import ESTIMATE_TOOL

TOOLSET = Toolset(
    route="cost",
    covers="The on-demand cost of instances for some hours, from the instance catalog.",
    tools=(ESTIMATE_TOOL,),
    keywords=("cost", "price", "pricing", "spend", "budget"),
    shared=True,
)
