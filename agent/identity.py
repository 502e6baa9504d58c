"""Who is at the terminal: proven on live AWS, a labelled demo identity on the sandbox.

Live, the CLI user is the AWS caller (STS GetCallerIdentity): an assumed role gives its session
name (for AWS IAM Identity Center, the user), an IAM user its user name. The policy's
``[people]`` map that principal to a person; a caller it does not list is ``aws:NAME`` and
approves nothing. ``--as`` and ``OPSBOT_USER`` only work on the sandbox, where nothing real
happens: there the name is a demo identity, and banners, cards and audit records say so.
Slack users are proven by Slack's signature and mapped by the policy (``Opsbot.identity``).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Literal

from tools.config import Settings
from tools.errors import OpsbotError

Source = Literal["sts", "demo"]


class IdentityError(OpsbotError):
    """An identity opsbot will not accept (a demo name on live AWS); nothing was called."""

    exit_code = 3


@dataclass(frozen=True)
class Identity:
    """The person opsbot acts for.

    ``user`` is the name used everywhere (requests, decisions, audit): a person of the policy, or
    a prefixed name (``aws:...``) for callers the policy does not list. ``name`` is what AWS or the
    terminal called them; ``principal`` the caller ARN when live.
    """

    user: str
    name: str
    source: Source
    demo: bool
    principal: str | None = None

    def label(self) -> str:
        """For banners: the user, and how opsbot knows it."""
        if self.demo:
            return f"{self.user} (demo identity, sandbox only)"
        return f"{self.user} (AWS {self.principal})" if self.principal else self.user


def resolve_identity(settings: Settings, as_user: str | None = None, sts: Any = None) -> Identity:
    """The identity of the person running this CLI.

    Live: ``--as`` (``as_user``) and ``OPSBOT_USER`` are refused before any AWS call; otherwise
    STS says who is calling and the policy maps the principal to a person. Sandbox: ``--as``,
    else OPSBOT_USER, else the OS user, as a demo identity. ``sts`` replaces the STS client (tests).
    """
    asserted = as_user or settings.user
    if not settings.live:
        name = asserted or getpass.getuser()
        return Identity(user=name, name=name, source="demo", demo=True)
    if asserted:
        flag = "--as" if as_user else "OPSBOT_USER"
        raise IdentityError(
            f"{flag} {asserted!r} is a demo identity and works only on the sandbox; with --live opsbot acts "
            "as your AWS caller (STS), so drop it (nothing was sent to AWS)"
        )
    arn = _caller_arn(settings, sts)
    from agent.policy import load_policy, principal_name

    return Identity(
        user=load_policy(settings).identity("aws", arn),
        name=principal_name(arn),
        source="sts",
        demo=False,
        principal=arn,
    )


def settings_with_identity(settings: Settings, as_user: str | None = None, sts: Any = None) -> Settings:
    """``settings`` acting as the person at the terminal (the one call the CLI makes).

    A demo name on live AWS is refused here, at once and without calling AWS. The live caller is
    asked of STS only when a command needs to know who acts (a request, a decision), so listing the
    queue or serving Slack makes no STS call."""
    if settings.live:
        if as_user or settings.user:
            resolve_identity(settings, as_user, sts)  # raises IdentityError
        return settings.with_identity(lambda: resolve_identity(settings, None, sts))
    return settings.with_identity(resolve_identity(settings, as_user, sts))


def _caller_arn(settings: Settings, sts: Any) -> str:
    if sts is None:
        import boto3

        session = boto3.Session(profile_name=settings.profile) if settings.profile else boto3.Session()
        sts = session.client("sts", region_name=settings.region, endpoint_url=settings.endpoint_url)
    return str(sts.get_caller_identity()["Arn"])
