"""opsbot settings, read from the environment (prefix ``OPSBOT_``) each time they are asked for.

Nothing reads settings at import time, so tests can change the environment and call
``get_settings()`` again.
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.errors import OpsbotError

SANDBOX_ACCOUNT_ID = "123456789012"
# The one Bedrock model opsbot names by default: deploy, evals and docs all use this id.
DEFAULT_BEDROCK_MODEL = "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0"
REGION = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$"
)
POLICY_SOURCE = re.compile(r"^(bundled|ssm:[A-Za-z0-9_.\-/]{1,2048}|s3://[a-z0-9][a-z0-9.\-]{1,62}/\S+)$")


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

    policy_file: Path | None = Field(
        default=None, description="Sandbox only: a policy file to try; live policy comes from policy_source."
    )
    policy_source: str = Field(
        default="bundled",
        description="Live policy, set by the deployment: 'bundled' (the file shipped with opsbot), "
        "'ssm:PARAMETER-NAME' or 's3://BUCKET/KEY'.",
    )
    user: str | None = Field(default=None, description="Sandbox only: a demo identity (like --as).")

    store: Literal["sqlite", "dynamodb"] = Field(default="sqlite", description="Where state lives.")
    ddb_checkpoint_table: str = "opsbot-checkpoints"
    ddb_approvals_table: str = "opsbot-approvals"
    ddb_audit_table: str = "opsbot-audit"
    ddb_checkpoint_ttl_days: int = Field(
        default=7, ge=1, le=365, description="Days a conversation's checkpoints are kept in DynamoDB (TTL)."
    )
    ddb_checkpoint_bucket: str | None = Field(
        default=None, description="S3 bucket for checkpoint values too large for a DynamoDB item (over 350 KB)."
    )
    ddb_checkpoint_compression: bool = Field(default=True, description="gzip checkpoint values in DynamoDB.")
    history_turns: int = Field(
        default=8,
        ge=1,
        le=200,
        description="Turns of a thread's conversation kept in its state; older ones live on in the thread memory.",
    )

    recovery_max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Times the recovery sweep resumes an interrupted run before it marks the request failed.",
    )

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

    @field_validator("policy_source")
    @classmethod
    def _policy_source(cls, value: str) -> str:
        if not POLICY_SOURCE.match(value):
            raise ValueError("expected 'bundled', 'ssm:PARAMETER-NAME' or 's3://BUCKET/KEY'")
        return value

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if value != "offline" and not (value.startswith("bedrock:") and len(value) > len("bedrock:")):
            raise ValueError(f"expected 'offline' or 'bedrock:<model-id>', e.g. {DEFAULT_BEDROCK_MODEL}")
        return value

    # Who is at the terminal, once resolved by agent.identity (STS when live, a demo name on the sandbox).
    _identity: Any = PrivateAttr(default=None)

    @property
    def home_dir(self) -> Path:
        """The state folder, expanded, created 0700 and checked (see ``secure_home``)."""
        return secure_home(self.home.expanduser())

    @property
    def identity(self) -> str:
        """Who is at the terminal: the resolved identity, else OPSBOT_USER or the OS user (unproven)."""
        resolved = self.resolved_identity
        if resolved is not None:
            return str(resolved.user)
        return self.user or getpass.getuser()

    @property
    def resolved_identity(self) -> Any:
        """The ``agent.identity.Identity`` these settings act as, if one was given (resolved on first use)."""
        if callable(self._identity):
            self._identity = self._identity()  # the live caller: asked of STS only when needed
        return self._identity

    @property
    def demo_identity(self) -> bool:
        """True when the identity is only asserted (--as, OPSBOT_USER or the OS user on the sandbox)."""
        if self.live:
            return False  # live identities are proven (STS, Slack) or refused
        resolved = self.resolved_identity
        return bool(resolved is not None and resolved.demo)

    def with_identity(self, identity: Any) -> Settings:
        """A copy of these settings that acts as ``identity``: an ``agent.identity.Identity``, or a
        function returning one (called the first time the identity is needed)."""
        copy = self.model_copy()
        copy._identity = identity
        return copy


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


# ------------------------------------------------------------------------------ private state
class UnsafeStateError(OpsbotError):
    """State that another user owns or may write: opsbot refuses it, as ssh refuses such keys."""

    exit_code = 3


_secured: set[Path] = set()
_secure_lock = threading.Lock()


def check_private(path: Path) -> os.stat_result:
    """Refuse ``path`` unless this user owns it and neither group nor others may write it."""
    st = path.stat()
    if st.st_uid != os.getuid():
        raise UnsafeStateError(
            f"{path} is owned by uid {st.st_uid}, not by you (uid {os.getuid()}); opsbot refuses state "
            "that another user controls"
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = "700" if stat.S_ISDIR(st.st_mode) else "600"
        raise UnsafeStateError(
            f"{path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):03o}); opsbot refuses it: "
            f"check it, then chmod {mode} {path}"
        )
    return st


def private_file(path: Path) -> Path:
    """Create ``path`` 0600 if it is missing; refuse it if another user owns it or others may write it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        st = check_private(path)
        if st.st_mode & 0o077:
            os.chmod(path, 0o600)
    return path


def secure_home(path: Path) -> Path:
    """Create OPSBOT_HOME 0700 and make everything opsbot writes in it private.

    The first time in a process: the folder and its contents are checked (owned by this user, not
    writable by group or others, else ``UnsafeStateError``) and made private (folders 0700, files
    0600, for homes an older opsbot left readable), and the process umask gains 077 so every file
    written later (SQLite and its journals, sandbox state, history, caches) is 0600 whoever writes it.
    """
    with _secure_lock:
        if path in _secured and path.is_dir():
            return path
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.umask(os.umask(0o077) | 0o077)
        for folder, dirs, files in os.walk(path):
            for name in [folder, *(os.path.join(folder, d) for d in dirs), *(os.path.join(folder, f) for f in files)]:
                entry = Path(name)
                if entry.is_symlink():
                    continue
                st = check_private(entry)
                wanted = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
                if stat.S_IMODE(st.st_mode) & 0o077:
                    os.chmod(entry, stat.S_IMODE(st.st_mode) & wanted)
        _secured.add(path)
        return path
