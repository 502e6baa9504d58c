"""What things cost: estimate_cost (instances for some hours, from the instance catalog) and
summarize_spend (everything running now, per resource and domain, projected). A shared toolset: its
tools join every specialist, so a cost question is answered wherever it is asked."""

from __future__ import annotations

from tools.base import Toolset
from tools.cost.estimate import ESTIMATE_TOOL
from tools.cost.spend import SPEND_TOOL

TOOLSET = Toolset(
    route="cost",
    covers=(
        "The on-demand cost of instances for some hours, and what everything running now costs per hour, "
        "projected over a day, a week or a month."
    ),
    tools=(ESTIMATE_TOOL, SPEND_TOOL),
    keywords=("cost", "price", "pricing", "spend", "spending", "budget", "bill", "burn rate"),
    shared=True,
)
