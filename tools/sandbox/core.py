"""Sandbox lifecycle: start moto, hook in the extensions, seed, and share state between processes.

State is the moto backends of the services opsbot uses plus the extensions' own store, pickled
to ``OPSBOT_HOME/sandbox/state.bin``. Each API call takes a file lock, reloads the state if
another process changed it, and saves it after a mutating call, so the CLI, the chat and the
Slack app on one machine see one account.

Unpickling runs code, so the file is signed: an HMAC-SHA256 with a key kept beside it
(``state.key``, 0600, made on first use). A state whose signature fails, or a key or state that
another user owns or may write, is refused before anything is unpickled.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import importlib
import os
import pickle
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tools.config import SANDBOX_ACCOUNT_ID, Settings, UnsafeStateError, check_private
from tools.guard import is_mutating
from tools.sandbox.extensions import EXTENSION_MODULES, HANDLERS, Call, ExtensionError

STATEFUL_SERVICES = ("s3", "sagemaker", "elasticache", "cloudwatch", "iam", "ec2")
# The demo account lives in us-east-1; other regions of the sandbox exist and start empty.
SEED_REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}

_process_lock = threading.RLock()
_mock: Any = None
_current: Sandbox | None = None
_seed_snapshot: bytes | None = None  # the freshly seeded state, reused by reset and new homes
MAGIC = b"opsbot-sandbox-state-v1\n"
KEY_BYTES = 32


class SandboxStateError(UnsafeStateError):
    """The sandbox state was changed outside opsbot (its signature fails); it is not loaded."""


def _start_moto() -> None:
    global _mock
    if _mock is None:
        from moto import mock_aws

        # mock_credentials off: the sandbox passes its own fake keys, and a real Bedrock client in
        # the same process must keep the user's credentials.
        _mock = mock_aws(config={"core": {"mock_credentials": False}})
        _mock.start()
        for name in EXTENSION_MODULES:
            importlib.import_module(name)


def get_sandbox(settings: Settings) -> Sandbox:
    """The process's sandbox for ``settings.home`` (moto is process-wide, so there is one)."""
    global _current
    with _process_lock:
        _start_moto()
        home = settings.home_dir / "sandbox"
        if _current is None or _current.home != home:
            _current = Sandbox(home, SEED_REGION)
        return _current


class Sandbox:
    """One sandbox account whose state lives in ``home``."""

    def __init__(self, home: Path, region: str) -> None:
        self.home = home
        self.region = region
        self.account = SANDBOX_ACCOUNT_ID
        self.home.mkdir(parents=True, exist_ok=True)
        self.state_file = home / "state.bin"
        self.key_file = home / "state.key"
        self._key: bytes | None = None
        self.ext: dict[str, Any] = {}
        self._token: tuple[int, int, int] | None = None
        self._dirty = False
        self._depth = 0
        self._lock_fd: int | None = None

    # ----------------------------------------------------------------- clients
    def client(self, service: str, config: Any = None) -> Any:
        """A boto3 client on the sandbox with the extensions hooked in (no guard, no retry)."""
        import boto3

        region = getattr(config, "region_name", None) or self.region
        client = boto3.client(service, region_name=region, config=config, **FAKE_CREDENTIALS)
        events = client.meta.events
        events.register("before-parameter-build", _stash_params, unique_id="opsbot-sbx-params")
        events.register("before-call", self._dispatch_extension, unique_id="opsbot-sbx-ext")
        events.register("after-call", self._mark_dirty, unique_id="opsbot-sbx-dirty")
        return client

    def _dispatch_extension(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        key = (model.service_model.service_name, model.name)
        handler = HANDLERS.get(key)
        if handler is None:
            return None
        region = context.get("client_region") or self.region
        call = Call(key[0], key[1], context.get("opsbot_params", {}), self.account, region, self.ext)
        try:
            body = handler(call)
            status = 200
            if call.changed:
                self._dirty = True
        except ExtensionError as err:
            status = err.status
            body = {"Error": {"Code": err.code, "Message": err.message}}
        body.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "RequestId": "opsbot-sandbox"})
        return SimpleNamespace(status_code=status, headers={}, content=b"", raw=None), body

    def _mark_dirty(self, model: Any, **_: Any) -> None:
        if is_mutating(model.service_model.service_name, model.name):
            self._dirty = True

    # ------------------------------------------------------------ persistence
    @contextmanager
    def _locked(self) -> Iterator[None]:
        with _process_lock:
            if self._depth == 0:
                self._lock_fd = os.open(self.home / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    os.close(self._lock_fd)
                    self._lock_fd = None

    def _file_token(self) -> tuple[int, int, int] | None:
        try:
            st = self.state_file.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> None:
        token = self._file_token()
        if token is None:
            self._seed()
        elif token != self._token:
            self._load(self._verified(self.state_file))
            self._token = token

    # ----------------------------------------------------------------- signing
    def _signing_key(self) -> bytes:
        """The HMAC key of this home's state, made (0600) on first use; called under the file lock."""
        if self._key is None:
            try:
                fd = os.open(self.key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                check_private(self.key_file)
                key = self.key_file.read_bytes()
                if len(key) != KEY_BYTES:
                    raise SandboxStateError(
                        f"sandbox key {self.key_file} is damaged; `opsbot sandbox reset` starts a fresh sandbox"
                    ) from None
            else:
                key = secrets.token_bytes(KEY_BYTES)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
            self._key = key
        return self._key

    def _sign(self, blob: bytes) -> bytes:
        mac = hmac.new(self._signing_key(), blob, hashlib.sha256).hexdigest().encode()
        return MAGIC + mac + b"\n" + blob

    def _verified(self, path: Path) -> bytes:
        """The pickled state in ``path``, only if this home's key signed it (nothing is unpickled before)."""
        check_private(path)
        return self._unsigned(path.read_bytes(), path)

    def _unsigned(self, signed: bytes, path: Path) -> bytes:
        if self._key is None and not self.key_file.exists():
            raise SandboxStateError(
                f"sandbox state {path} has no key to check it against ({self.key_file} is missing), so it was not "
                "loaded; `opsbot sandbox reset` starts a fresh sandbox"
            )
        mac, _, blob = signed[len(MAGIC) :].partition(b"\n")
        expected = hmac.new(self._signing_key(), blob, hashlib.sha256).hexdigest().encode()
        if not signed.startswith(MAGIC) or not hmac.compare_digest(mac, expected):
            raise SandboxStateError(
                f"sandbox state {path} fails its signature check (changed outside opsbot), so it was not loaded; "
                "`opsbot sandbox reset` starts a fresh sandbox"
            )
        return blob

    def _load(self, blob: bytes) -> None:
        """Load a state: the in-memory seed as is, or the bytes of the state file once their signature holds."""
        from moto.backends import get_backend

        if blob.startswith(MAGIC):
            blob = self._unsigned(blob, self.state_file)
        state = pickle.loads(blob)
        _release_tracked()
        for service in STATEFUL_SERVICES:
            backends = get_backend(service)
            backends.clear()
            for account, regions in state["moto"].get(service, {}).items():
                for region, backend in regions.items():
                    backends[account][region] = backend
        _reindex_s3_buckets()
        self.ext.clear()
        self.ext.update(state["ext"])

    def _dump(self) -> bytes:
        from moto.backends import get_backend

        moto_state = {
            service: {account: dict(regions) for account, regions in get_backend(service).items()}
            for service in STATEFUL_SERVICES
        }
        return pickle.dumps({"moto": moto_state, "ext": self.ext}, protocol=pickle.HIGHEST_PROTOCOL)

    def _write(self, blob: bytes) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self._sign(blob))
        os.replace(tmp, self.state_file)
        self._token = self._file_token()
        self._dirty = False

    def save(self) -> None:
        """Persist the current state now."""
        with self._locked():
            self._write(self._dump())

    def call(self, fn: Any, kwargs: dict[str, Any]) -> Any:
        """Run one API call with the shared state loaded before and saved after a write."""
        with self._locked():
            self._refresh()
            try:
                return fn(**kwargs)
            finally:
                if self._dirty:
                    self._write(self._dump())

    @contextmanager
    def session(self) -> Iterator[Sandbox]:
        """Hold the lock with fresh state for several calls (seeding, tests, the loopback server)."""
        with self._locked():
            self._refresh()
            try:
                yield self
            finally:
                if self._dirty:
                    self._write(self._dump())

    # ----------------------------------------------------------------- seeding
    def _seed(self) -> None:
        global _seed_snapshot
        if _seed_snapshot is None:
            from tools.sandbox.seed import seed_all

            self._load_empty()
            seed_all(self)
            _seed_snapshot = self._dump()
        self._load(_seed_snapshot)
        self._write(_seed_snapshot)

    def _load_empty(self) -> None:
        from moto.backends import get_backend

        for service in STATEFUL_SERVICES:
            get_backend(service).clear()
        _reindex_s3_buckets()
        self.ext.clear()

    def reset(self) -> None:
        """Throw the state away and reseed the demo account."""
        global _seed_snapshot
        with self._locked():
            _seed_snapshot = None
            self._seed()


def _release_tracked() -> None:
    # moto appends every model object it creates (unpickled ones too) to its class's
    # ``instances_tracked``, for its dashboard only; a reload would otherwise keep every earlier
    # state alive (about 2 MiB per reload of the demo account) and make full collections slow.
    from moto.core.model_instances import reset_model_data

    reset_model_data()


def _reindex_s3_buckets() -> None:
    # moto keeps a process-wide bucket-name index next to its S3 backends; after the backends are
    # swapped it must describe them, or a bucket name from an earlier state sends moto into a loop.
    from moto.s3.models import s3_backends

    s3_backends.bucket_accounts.clear()
    for account, partitions in s3_backends.items():
        for partition, backend in partitions.items():
            for name in backend.buckets:
                s3_backends.bucket_accounts[name] = (partition, account)


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    # before-call only sees the serialized request; extensions want the caller's parameters.
    context["opsbot_params"] = dict(params)
