"""opsbot settings, read from the environment (prefix ``OPSBOT_``) each time they are asked for.

Nothing reads settings at import time, so tests can change the environment and call
``get_settings()`` again.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_ACCOUNT_ID = "123456789012"
# The one Bedrock model opsbot names by default: deploy, evals and docs all use this id.
DEFAULT_BEDROCK_MODEL = "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0"
REGION = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$"
)


class Settings(BaseSettings):
    """Every knob opsbot has. Environment variables are ``OPSBOT_<FIELD>``."""

    # populate_by_name: fields with aliases (the Slack keys) can still be set by name, e.g. in tests.
    model_config = SettingsConfigDict(env_prefix="OPSBOT_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path("~/.opsbot"), description="Where opsbot keeps its state.")
    live: bool = Field(default=False, description="Talk to real AWS instead of the sandbox.")
    region: str = Field(default="us-east-1", description="AWS region for tool calls.")
    profile: str | None = Field(default=None, description="AWS profile for live mode.")
    endpoint_url: str | None = Field(default=None, description="Override AWS endpoint (testing).")

    model: str = Field(default="offline", description="'offline' or 'bedrock:<model-id>'.")
    bedrock_region: str | None = Field(default=None, description="Region of Bedrock; defaults to region.")
    bedrock_profile: str | None = Field(default=None, description="AWS profile for Bedrock.")

    policy_file: Path | None = Field(default=None, description="Policy file; default is the bundled one.")
    user: str | None = Field(default=None, description="Identity of the person at the terminal.")

    store: Literal["sqlite", "dynamodb"] = Field(default="sqlite", description="Where state lives.")
    ddb_checkpoint_table: str = "opsbot-checkpoints"
    ddb_approvals_table: str = "opsbot-approvals"
    ddb_audit_table: str = "opsbot-audit"

    aws_max_attempts: int = Field(default=5, ge=1, le=10, description="Attempts per AWS call.")
    retry_base_seconds: float = Field(default=0.5, ge=0, description="Backoff base; 0 in tests.")
    retry_max_seconds: float = Field(default=8.0, ge=0, description="Longest single backoff.")

    sagemaker_role_arn: str | None = Field(
        default=None, description="Execution role for HyperPod, training jobs and models; default derived."
    )
    hyperpod_lifecycle_s3_uri: str | None = Field(default=None, description="Default HyperPod lifecycle scripts.")
    training_image_uri: str | None = Field(default=None, description="Default training image (Neuron DLC).")
    inference_image_uri: str | None = Field(default=None, description="Default inference image.")

    neuron_metrics_namespace: str = Field(
        default="NeuronMonitor",
        description="CloudWatch namespace where neuron-monitor's NeuronCoreUtilization of Inf2/Trn endpoints is "
        "published (dimensions EndpointName, VariantName); SageMaker publishes no Neuron utilisation itself.",
    )

    athena_workgroup: str = "primary"
    athena_output_s3: str | None = None
    s3_metadata_catalog: str = Field(
        default="s3tablescatalog/aws-s3", description="Athena catalog of the S3 Metadata tables."
    )

    # Slack's own names (SLACK_BOT_TOKEN, ...) are accepted too; the OPSBOT_ name wins when both are set.
    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("OPSBOT_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"), repr=False
    )
    slack_signing_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("OPSBOT_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"), repr=False
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("OPSBOT_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"), repr=False
    )
    slack_secret_arn: str | None = Field(default=None, description="Secrets Manager secret with Slack keys.")
    slack_api_url: str | None = Field(default=None, description="Slack Web API base URL (a local fake in tests).")

    @field_validator("region", "bedrock_region")
    @classmethod
    def _aws_region(cls, value: str | None) -> str | None:
        if value is not None and not REGION.match(value):
            raise ValueError("expected an AWS region such as us-east-1 or eu-west-2")
        return value

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if value != "offline" and not (value.startswith("bedrock:") and len(value) > len("bedrock:")):
            raise ValueError(f"expected 'offline' or 'bedrock:<model-id>', e.g. {DEFAULT_BEDROCK_MODEL}")
        return value

    @property
    def home_dir(self) -> Path:
        """The state folder, expanded and created."""
        path = self.home.expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def identity(self) -> str:
        """Who is at the terminal: OPSBOT_USER, else the OS user."""
        return self.user or getpass.getuser()


def get_settings(**overrides: object) -> Settings:
    """Read settings now, with optional overrides (used by CLI flags). A bad value is one clear error."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        from tools.errors import ToolInputError

        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "settings"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise ToolInputError(f"{field} (OPSBOT_{field.upper()} or its flag)", err.get("input"), msg) from None
