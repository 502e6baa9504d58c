"""A large demo account: many S3 objects and many endpoints on top of the seeded one.

``opsbot sandbox reset --objects N --endpoints N`` builds it, for benchmarks and for people who want
to see opsbot at scale. Everything is made directly in moto's backends (a client call per object
would take minutes) and deterministically (a fixed random seed), so two builds are the same account.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tools.errors import ToolInputError

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox

MAX_OBJECTS = 1_000_000
MAX_ENDPOINTS = 10_000
BULK_BUCKET = "training-data"  # the bucket the demo's queries use
BULK_PREFIX = "bulk/"
_MiB = 1024**2
_INSTANCE_TYPES = ("ml.g5.2xlarge", "ml.g6e.12xlarge", "ml.inf2.24xlarge", "ml.p5.48xlarge")


def check_scale(objects: int, endpoints: int) -> None:
    """Refuse a size the sandbox will not build, naming the option, the value and what is allowed."""
    for option, value, most in (("--objects", objects, MAX_OBJECTS), ("--endpoints", endpoints, MAX_ENDPOINTS)):
        if not 0 <= value <= most:
            raise ToolInputError(option, value, f"expected a whole number from 0 to {most:,}")


def grow(sandbox: Sandbox, objects: int = 0, endpoints: int = 0) -> None:
    """Add ``objects`` S3 objects (to training-data) and ``endpoints`` InService endpoints to the
    sandbox's account, saved for every process; then build the bucket's inventory table once, so the
    first query of the large bucket does not pay for it."""
    check_scale(objects, endpoints)
    with sandbox.session():
        if objects:
            add_objects(sandbox, objects)
        if endpoints:
            add_endpoints(sandbox, endpoints)
        sandbox.mark_changed()  # made in the backends directly, not through client calls
    if objects:
        from tools.sandbox.inventory import warm

        warm(sandbox, BULK_BUCKET)


def add_objects(sandbox: Sandbox, count: int) -> None:
    """``count`` objects under ``bulk/`` in training-data, sizes from 1 MiB to 8 GiB (nominal), untagged."""
    from tools.sandbox.ext_data import _put, s3_backend

    backend = s3_backend(sandbox.account)
    now = datetime.now(UTC).replace(tzinfo=None)
    rng = random.Random(20251203)
    for i in range(count):
        size = int(_MiB * 2 ** rng.uniform(0, 13))
        storage = "INTELLIGENT_TIERING" if rng.random() < 0.3 else "STANDARD"
        key = f"{BULK_PREFIX}shard-{i // 1000:04d}/part-{i:07d}.parquet"
        age = rng.uniform(0, 365)
        _put(backend, now, BULK_BUCKET, key, size, age, storage, "application/vnd.apache.parquet", {}, {})


def add_endpoints(sandbox: Sandbox, count: int) -> None:
    """``count`` InService endpoints ``bulk-00001``... with their models and configs, no metrics.

    Made by the sandbox's own handlers of the create calls (the same checks and objects as a client
    call), without a client round trip each."""
    from moto.backends import get_backend

    from tools.sandbox.ext_inference import SEED_ROLE, VARIANT, _now, settle
    from tools.sandbox.extensions import HANDLERS, Call

    backend = get_backend("sagemaker")[sandbox.account][sandbox.region]
    rng = random.Random(20251204)
    created = _now()  # moto's own clock (naive UTC)

    def make(operation: str, params: dict[str, Any]) -> None:
        call = Call("sagemaker", operation, params, sandbox.account, sandbox.region, sandbox.ext)
        handler = HANDLERS.get(("sagemaker", operation))
        if handler is not None:
            handler(call)
        elif operation == "CreateModel":
            backend.create_model(
                params["ModelName"], params["ExecutionRoleArn"], params["PrimaryContainer"], None, None, []
            )
        else:
            backend.create_endpoint(params["EndpointName"], params["EndpointConfigName"], [])

    for i in range(1, count + 1):
        name = f"bulk-{i:05d}"
        make(
            "CreateModel",
            {
                "ModelName": f"{name}-model",
                "ExecutionRoleArn": SEED_ROLE.format(account=sandbox.account),
                "PrimaryContainer": {"Image": "opsbot/bulk:latest", "ModelDataUrl": f"s3://checkpoints/bulk/{name}/"},
            },
        )
        variant = {
            "VariantName": VARIANT,
            "ModelName": f"{name}-model",
            "InstanceType": rng.choice(_INSTANCE_TYPES),
            "InitialInstanceCount": rng.randint(1, 4),
            "InitialVariantWeight": 1.0,
        }
        make("CreateEndpointConfig", {"EndpointConfigName": f"{name}-config", "ProductionVariants": [variant]})
        make("CreateEndpoint", {"EndpointName": name, "EndpointConfigName": f"{name}-config"})
        endpoint = backend.endpoints[name]
        settle(endpoint)
        endpoint.creation_time = created - timedelta(days=rng.uniform(1, 300))
