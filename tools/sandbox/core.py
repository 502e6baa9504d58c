"""Sandbox lifecycle: start moto, hook in the extensions, seed, and share state between processes.

State is the moto backends of the services opsbot uses plus the extensions' own store, pickled
one part per service under ``OPSBOT_HOME/sandbox/parts/`` (``s3.bin``, ``sagemaker.bin``, ...,
``ext.bin``), with each S3 bucket's objects in a part of their own (``s3-objects/<bucket>.bin``).
Each API call takes a file lock, reloads only the parts it touches that another process changed
(``touched``), and saves those parts after a mutating call, so the CLI, the chat and the Slack app
on one machine see one account, and a call on SageMaker never pays for 100,000 S3 objects.

Unpickling runs code, so every part is signed: an HMAC-SHA256 with a key kept beside it
(``state.key``, 0600, made on first use). A part whose signature fails, or a key or state that
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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tools.config import SANDBOX_ACCOUNT_ID, Settings, UnsafeStateError, check_private
from tools.guard import is_mutating
from tools.sandbox.extensions import EXTENSION_MODULES, HANDLERS, Call, ExtensionError

STATEFUL_SERVICES = ("s3", "sagemaker", "elasticache", "cloudwatch", "iam", "ec2")
EXT = "ext"  # the extensions' own store
PARTS = (*STATEFUL_SERVICES, EXT)
OBJECTS = "s3-objects/"  # prefix of the part that holds one bucket's objects
# The parts a call on each service reads or writes: its backend, and the extensions' store (the
# ElastiCache extensions also publish and read CloudWatch metrics). Any other service: every part.
NEEDS: dict[str, tuple[str, ...]] = {
    "s3": ("s3", EXT),
    "sagemaker": ("sagemaker", EXT),
    "elasticache": ("elasticache", "cloudwatch", EXT),
    "cloudwatch": ("cloudwatch", EXT),
    "iam": ("iam",),
    "ec2": ("ec2",),
    "sts": (),
}
# S3 operations on a bucket itself, which never read its objects (DeleteBucket does: it must be empty).
_BUCKET_ONLY = frozenset({"ListBuckets", "CreateBucket", "HeadBucket", "ListDirectoryBuckets"})
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
_seed_parts: dict[str, bytes] | None = None  # the freshly seeded state, one pickle per part, reused by new homes
_seed_made_at = 0.0  # time.monotonic() when _seed_parts was made
SEED_MAX_AGE_SECONDS = 300
MAGIC = b"opsbot-sandbox-state-v1\n"
KEY_BYTES = 32


class SandboxStateError(UnsafeStateError):
    """The sandbox state was changed outside opsbot (its signature fails); it is not loaded."""


@dataclass(frozen=True)
class Touch:
    """What one call needs loaded: state parts, and the S3 buckets whose objects it reads (None: all)."""

    parts: tuple[str, ...] = PARTS
    buckets: frozenset[str] | None = None


EVERYTHING = Touch()


def touched(service: str, operation: str, params: dict[str, Any]) -> Touch:
    """The parts a call of ``service:operation`` with ``params`` reads or writes (unknown: everything)."""
    parts = NEEDS.get(service)
    if parts is None:
        return EVERYTHING
    if service != "s3":
        return Touch(parts, frozenset())
    bucket_only = "Bucket" in operation and "Object" not in operation and operation != "DeleteBucket"
    if operation in _BUCKET_ONLY or bucket_only:
        return Touch(parts, frozenset())
    named = {params.get("Bucket")}
    source = params.get("CopySource")
    if isinstance(source, dict):
        named.add(source.get("Bucket"))
    elif isinstance(source, str):
        named.add(source.lstrip("/").split("/", 1)[0])
    named.discard(None)
    return Touch(parts, frozenset(str(b) for b in named) if params.get("Bucket") else None)


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
        self.state_file = home / "state.bin"  # the one-file state of earlier versions, migrated on first use
        self.parts_dir = home / "parts"
        self.key_file = home / "state.key"
        self._key: bytes | None = None
        self.ext: dict[str, Any] = {}
        # part -> the file token it was loaded from (None: the part has no file, e.g. an empty bucket)
        self._tokens: dict[str, tuple[int, int, int] | None] = {}
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

    def mark_changed(self) -> None:
        """The state was changed outside a client call (in moto's backends directly): the session saves it."""
        self._dirty = True

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

    def part_file(self, part: str) -> Path:
        """Where ``part`` is kept (``s3-objects/<bucket>`` under its own folder)."""
        return self.parts_dir / f"{part}.bin"

    @staticmethod
    def _token_of(path: Path) -> tuple[int, int, int] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self, touch: Touch = EVERYTHING) -> None:
        """Load the parts ``touch`` names that another process changed since this one loaded them."""
        if not self.part_file(EXT).exists():
            if self.state_file.exists():
                self._migrate()
            else:
                self._seed()
        for part in touch.parts:
            token = self._token_of(self.part_file(part))
            if part not in self._tokens or token != self._tokens[part]:
                self._load_part(part, self._verified(self.part_file(part)) if token else None)
                self._tokens[part] = token
        if "s3" in touch.parts:
            for bucket in self._buckets() if touch.buckets is None else touch.buckets:
                part = OBJECTS + bucket
                token = self._token_of(self.part_file(part))
                if part not in self._tokens or token != self._tokens[part]:
                    self._load_part(part, self._verified(self.part_file(part)) if token else None)
                    self._tokens[part] = token

    def version(self, bucket: str) -> str:
        """A name for the state of ``bucket``'s objects and tags (changes with every save of either);
        call it under the lock (``session``)."""
        tokens = (self._token_of(self.part_file("s3")), self._token_of(self.part_file(OBJECTS + bucket)))
        return hashlib.sha256(repr(tokens).encode()).hexdigest()[:32]

    @staticmethod
    def _buckets() -> list[str]:
        from moto.s3.models import s3_backends

        return list(s3_backends.bucket_accounts)

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
        """Load a whole state (one pickle of every backend and the extensions' store): the seed snapshot
        of a test, or a state file of earlier versions once its signature holds."""
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
        self._tokens.clear()  # loaded from elsewhere: every part is read again when next needed

    def _load_part(self, part: str, blob: bytes | None) -> None:
        """Put one part in place (``blob`` None: the part is empty)."""
        from moto.backends import get_backend

        value = pickle.loads(blob) if blob is not None else None
        if part.startswith(OBJECTS):
            bucket = _bucket(part.removeprefix(OBJECTS))
            if bucket is not None:
                bucket.keys = value if value is not None else _empty_keys()
            return
        _release_tracked()
        if part == EXT:
            self.ext.clear()
            self.ext.update(value or {})
            return
        backends = get_backend(part)
        backends.clear()
        for account, regions in (value or {}).items():
            for region, backend in regions.items():
                backends[account][region] = backend
        if part == "s3":
            _reindex_s3_buckets()
            # The buckets are new objects, without their objects: those load when a call needs them.
            for name in [p for p in self._tokens if p.startswith(OBJECTS)]:
                del self._tokens[name]

    def _dump_part(self, part: str) -> bytes:
        from moto.backends import get_backend

        if part == EXT:
            value: Any = self.ext
        elif part.startswith(OBJECTS):
            bucket = _bucket(part.removeprefix(OBJECTS))
            value = bucket.keys if bucket is not None else _empty_keys()
        elif part == "s3":
            # Each bucket's objects are a part of their own: the bucket part stays small.
            buckets = [
                b for regions in get_backend("s3").values() for be in regions.values() for b in be.buckets.values()
            ]
            kept = [(b, b.keys) for b in buckets]
            for b in buckets:
                b.keys = _empty_keys()
            try:
                return pickle.dumps(
                    {a: dict(r) for a, r in get_backend("s3").items()}, protocol=pickle.HIGHEST_PROTOCOL
                )
            finally:
                for b, keys in kept:
                    b.keys = keys
        else:
            value = {account: dict(regions) for account, regions in get_backend(part).items()}
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def _dump(self) -> bytes:
        """The whole state as one pickle (the format ``_load`` reads)."""
        from moto.backends import get_backend

        moto_state = {
            service: {account: dict(regions) for account, regions in get_backend(service).items()}
            for service in STATEFUL_SERVICES
        }
        return pickle.dumps({"moto": moto_state, "ext": self.ext}, protocol=pickle.HIGHEST_PROTOCOL)

    def _write_part(self, part: str, blob: bytes) -> None:
        path = self.part_file(part)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self._sign(blob))
        os.replace(tmp, path)
        self._tokens[part] = self._token_of(path)

    def _save(self, touch: Touch) -> None:
        """Save the parts ``touch`` loaded (a call changes nothing else); EXT last, as the seeding mark."""
        for part in sorted(touch.parts, key=lambda p: p == EXT):
            self._write_part(part, self._dump_part(part))
        if "s3" in touch.parts:
            present = set(self._buckets())
            names = present if touch.buckets is None else touch.buckets & present
            for bucket in names:  # loaded by ``_refresh``, or made during the call
                self._write_part(OBJECTS + bucket, self._dump_part(OBJECTS + bucket))
            folder = self.parts_dir / OBJECTS.rstrip("/")
            for path in folder.glob("*.bin") if folder.exists() else ():
                if path.stem not in present:  # the bucket was deleted
                    path.unlink(missing_ok=True)
                    self._tokens.pop(OBJECTS + path.stem, None)
        self._dirty = False

    def _write_all(self, parts: dict[str, bytes]) -> None:
        if self.parts_dir.exists():
            for path in self.parts_dir.rglob("*.bin"):
                path.unlink()
        self._tokens.clear()
        for part in sorted(parts, key=lambda p: p == EXT):
            self._write_part(part, parts[part])
        self._tokens.clear()  # written, not loaded: each part loads when a call needs it
        self._dirty = False

    def _migrate(self) -> None:
        """A state file of an earlier version: checked, loaded, written as parts, then removed."""
        self._load(self._verified(self.state_file))
        self._write_all(self._all_parts())
        self.state_file.unlink()

    def _all_parts(self) -> dict[str, bytes]:
        parts = {part: self._dump_part(part) for part in PARTS}
        parts.update({OBJECTS + b: self._dump_part(OBJECTS + b) for b in self._buckets()})
        return parts

    def reload(self) -> None:
        """Forget what this process loaded and read every part again from its file."""
        with self._locked():
            self._tokens.clear()
            self._refresh()

    def save(self) -> None:
        """Persist the current state now (every part)."""
        with self._locked():
            self._write_all(self._all_parts())

    def call(self, fn: Any, kwargs: dict[str, Any]) -> Any:
        """Run one API call with the parts it touches loaded before and saved after a write."""
        touch = _touch_of(fn, kwargs)
        with self._locked():
            self._refresh(touch)
            try:
                return fn(**kwargs)
            finally:
                if self._dirty:
                    self._save(touch)

    @contextmanager
    def session(self, touch: Touch = EVERYTHING) -> Iterator[Sandbox]:
        """Hold the lock with fresh state for several calls (seeding, tests, the loopback server);
        ``touch`` narrows what is loaded (and saved after a change) to some parts."""
        with self._locked():
            self._refresh(touch)
            try:
                yield self
            finally:
                if self._dirty:
                    self._save(touch)

    # ----------------------------------------------------------------- seeding
    def _seed(self) -> None:
        global _seed_parts, _seed_made_at
        # The seed's metrics cover the hour before it was made: a snapshot kept for long (an eval
        # worker, a test run) would show ever less of that hour, so an old one is made again.
        if _seed_parts is None or time.monotonic() - _seed_made_at > SEED_MAX_AGE_SECONDS:
            from tools.sandbox.seed import seed_all

            self._load_empty()
            seed_all(self)
            _seed_parts = self._all_parts()
            _seed_made_at = time.monotonic()
        self._write_all(_seed_parts)

    def _load_empty(self) -> None:
        from moto.backends import get_backend

        _release_tracked()
        for service in STATEFUL_SERVICES:
            get_backend(service).clear()
        _reindex_s3_buckets()
        self.ext.clear()
        self._tokens.clear()

    def reset(self) -> None:
        """Throw the state away and reseed the demo account."""
        global _seed_parts
        with self._locked():
            _seed_parts = None
            self.state_file.unlink(missing_ok=True)
            self._seed()


def _touch_of(fn: Any, kwargs: dict[str, Any]) -> Touch:
    """What a bound client method called with ``kwargs`` touches (unknown: everything)."""
    client = getattr(fn, "__self__", None)
    meta = getattr(client, "meta", None)
    if meta is None:
        return EVERYTHING
    operation = meta.method_to_api_mapping.get(getattr(fn, "__name__", ""))
    if operation is None:
        return EVERYTHING
    return touched(meta.service_model.service_name, operation, kwargs)


def _empty_keys() -> Any:
    from moto.s3.utils import _VersionedKeyStore

    return _VersionedKeyStore()


def _bucket(name: str) -> Any:
    from moto.s3.models import s3_backends

    where = s3_backends.bucket_accounts.get(name)
    if where is None:
        return None
    partition, account = where
    return s3_backends[account][partition].buckets.get(name)


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
