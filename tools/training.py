"""Tools of the training domain: HyperPod clusters, training jobs and training plans.

The tools live in ``training_hyperpod``, ``training_jobs`` and ``training_plans`` (helpers they
share in ``training_common``); this module gathers them in catalog order for the registry.
"""

from __future__ import annotations

from tools.base import Tool
from tools.training_hyperpod import TOOLS as HYPERPOD_TOOLS
from tools.training_jobs import TOOLS as JOB_TOOLS
from tools.training_plans import TOOLS as PLAN_TOOLS

TOOLS: list[Tool] = [*HYPERPOD_TOOLS, *JOB_TOOLS, *PLAN_TOOLS]
