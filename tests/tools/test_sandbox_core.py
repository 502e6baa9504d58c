"""The sandbox shares one account between opsbot processes through OPSBOT_HOME."""

from __future__ import annotations

import subprocess
import sys
import time

from tools import guard
from tools.runtime import make_context
from tools.sandbox import core


def _grant(*ops: str) -> guard.Grant:
    return guard.Grant("ap-test", "h", frozenset(ops), time.time() + 60)


def test_state_survives_another_process(settings) -> None:
    # GIVEN a bucket created in this process
    s3 = make_context(settings).clients.client("s3")
    with guard.activated(_grant("s3:CreateBucket")):
        s3.create_bucket(Bucket="shared-across-processes")
    # WHEN another python process lists buckets on the same OPSBOT_HOME
    code = (
        "from tools.runtime import make_context;"
        "print([b['Name'] for b in make_context().clients.client('s3').list_buckets()['Buckets']])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # THEN it sees the bucket
    assert "shared-across-processes" in out


def test_changes_from_another_process_are_loaded(settings) -> None:
    s3 = make_context(settings).clients.client("s3")
    s3.list_buckets()  # load the seeded state in this process
    code = (
        "import time; from tools import guard; from tools.runtime import make_context\n"
        "g = guard.Grant('x', 'h', frozenset({'s3:CreateBucket'}), time.time() + 60)\n"
        "with guard.activated(g): make_context().clients.client('s3').create_bucket(Bucket='made-elsewhere')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert "made-elsewhere" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_reset_reseeds(settings) -> None:
    s3 = make_context(settings).clients.client("s3")
    with guard.activated(_grant("s3:CreateBucket")):
        s3.create_bucket(Bucket="to-be-forgotten")
    core.get_sandbox(settings).reset()
    assert "to-be-forgotten" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


class _RunsCode:
    """A pickle payload that, when loaded, creates a marker file (what an attacker would do)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_state_written_outside_opsbot_is_refused_without_running_it(settings, tmp_path) -> None:
    import pickle

    import pytest

    from tools.errors import OpsbotError

    # GIVEN a sandbox in use, and a state file replaced by a pickle that runs code when loaded
    sandbox = core.get_sandbox(settings)
    make_context(settings).clients.client("s3").list_buckets()
    marker = tmp_path / "code-ran"
    sandbox.part_file("sagemaker").write_bytes(pickle.dumps({"moto": _RunsCode(str(marker)), "ext": {}}))
    # WHEN another opsbot process loads the sandbox
    fresh = core.Sandbox(sandbox.home, core.SEED_REGION)
    # THEN the state is refused before anything is unpickled
    with pytest.raises(OpsbotError, match="signature"), fresh.session():
        pass
    assert not marker.exists()
    # AND a reset starts a fresh, signed sandbox
    fresh.reset()
    assert "training-data" in [b["Name"] for b in make_context(settings).clients.client("s3").list_buckets()["Buckets"]]
