"""The two model back ends behind one interface: ``make_model(settings)`` gives a BaseChatModel.

``offline`` is the deterministic ChatOps parser (no network, the default); ``bedrock:<model-id>``
is ``ChatBedrockConverse`` on Amazon Bedrock. The graph cannot tell them apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.language_models import BaseChatModel

    from tools.base import Toolset
    from tools.config import Settings


def make_model(settings: Settings, toolsets: Sequence[Toolset] | None = None) -> BaseChatModel:
    """The chat model ``settings.model`` names: "offline" (over ``toolsets``, default the registry's)
    or "bedrock:<model-id>"."""
    from tools.config import DEFAULT_BEDROCK_MODEL
    from tools.errors import ToolInputError

    spec = (settings.model or "offline").strip()
    if spec == "offline":
        from agent.models.offline import OfflineChatModel

        return OfflineChatModel(toolsets=toolsets)
    if spec.startswith("bedrock:") and spec[len("bedrock:") :].strip():
        from agent.models.bedrock import make_bedrock_model

        return make_bedrock_model(settings, spec[len("bedrock:") :].strip())
    raise ToolInputError("model", spec, f"expected 'offline' or 'bedrock:<model-id>', e.g. {DEFAULT_BEDROCK_MODEL}")
