"""Settings: Slack's conventional variable names, the one default Bedrock model, and private state:
OPSBOT_HOME is 0700, its files 0600, and state others control is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tools.config import (
    DEFAULT_BEDROCK_MODEL,
    UnsafeStateError,
    check_private,
    get_settings,
    private_file,
    secure_home,
)


def test_slack_names_with_and_without_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN Slack's own names in the environment
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-plain")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s-plain")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-plain")
    settings = get_settings()
    assert (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token) == (
        "xoxb-plain",
        "s-plain",
        "xapp-plain",
    )
    # WHEN the OPSBOT_ name is set too THEN it wins
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", "xoxb-opsbot")
    assert get_settings().slack_bot_token == "xoxb-opsbot"


def test_secrets_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    assert "xoxb-secret" not in repr(get_settings())


def test_the_default_bedrock_model_is_a_valid_model_setting() -> None:
    assert get_settings(model=DEFAULT_BEDROCK_MODEL).model == DEFAULT_BEDROCK_MODEL


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_is_created_0700_and_files_in_it_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a home that does not exist yet WHEN opsbot opens it and something writes a file in it
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "fresh-home"))
    home = get_settings().home_dir
    (home / "history").write_text("written with the default open mode")
    # THEN the home is 0700 and the file 0600, whoever wrote it
    assert _mode(home) == 0o700 and _mode(home / "history") == 0o600


def test_a_home_left_readable_by_an_older_opsbot_is_made_private(tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    (home / "sandbox").mkdir(parents=True)
    os.chmod(home, 0o755)
    os.chmod(home / "sandbox", 0o755)
    (home / "opsbot.sqlite").write_text("x")
    os.chmod(home / "opsbot.sqlite", 0o644)
    secure_home(home)
    assert (_mode(home), _mode(home / "sandbox"), _mode(home / "opsbot.sqlite")) == (0o700, 0o700, 0o600)


@pytest.mark.parametrize("where", ["home", "file"])
def test_state_writable_by_group_or_others_is_refused(tmp_path: Path, where: str) -> None:
    home = tmp_path / f"loose-{where}"
    home.mkdir()
    target = home if where == "home" else home / "opsbot.sqlite"
    if where == "file":
        target.write_text("x")
    os.chmod(target, 0o777 if where == "home" else 0o666)
    with pytest.raises(UnsafeStateError, match="writable by group or others") as err:
        secure_home(home)
    assert str(target) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_state_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    path = private_file(tmp_path / "opsbot.sqlite")
    os.chown(path, 4242, -1)
    with pytest.raises(UnsafeStateError, match="owned by uid 4242, not by you"):
        check_private(path)


def test_private_file_creates_0600(tmp_path: Path) -> None:
    assert _mode(private_file(tmp_path / "db.sqlite")) == 0o600
