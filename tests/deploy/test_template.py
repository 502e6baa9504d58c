"""deploy/template.yaml: valid (cfn-lint), wired as the handler expects, and least privilege: every
AWS operation opsbot's tools and stores make is allowed, nothing else from those services is, and
no statement allows a ``*`` action."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from cfnlint.api import ManualArgs, lint_file

from tests.deploy.conftest import ROOT, TEMPLATE, load_template

# IAM action names that differ from the API operation's name.
IAM_NAME = {
    "s3:GetBucketMetadataConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "s3:CreateBucketMetadataConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "dynamodb:TransactWriteItems": "dynamodb:PutItem",  # the audit log's transactions are conditional puts
}
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
# Allowed without a direct API call: what IAM requires alongside the calls the tools make.
DERIVED = {
    "sagemaker:AddTags",  # creating with Tags
    "elasticache:AddTagsToResource",  # creating a parameter group with Tags
    "iam:PassRole",  # the execution role handed to SageMaker
    "glue:GetCatalog",  # Athena reading the S3 Tables catalog
    "glue:GetDatabase",
    "glue:GetTable",
    "lakeformation:GetDataAccess",
}
TOOL_SERVICES = (
    *("sagemaker", "elasticache", "s3", "s3tables", "athena", "cloudwatch", "glue", "lakeformation", "iam"),
    "ec2",
)


@cache
def template() -> dict[str, Any]:
    return load_template()


def statements() -> list[dict[str, Any]]:
    """Every statement of the function role's inline policies (conditional ones unwrapped)."""
    found = []
    for policy in template()["Resources"]["FunctionRole"]["Properties"]["Policies"]:
        for stmt in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in stmt:
                stmt = stmt["Fn::If"][1]
            found.append(stmt)
    return found


def actions() -> set[str]:
    out: set[str] = set()
    for stmt in statements():
        acts = stmt["Action"]
        out |= {acts} if isinstance(acts, str) else set(acts)
    return out


def operations_in(paths: list[Path]) -> set[str]:
    """``service:Operation`` for every boto3 client method the code names (called, passed or paginated)."""
    texts = [p.read_text() for p in paths]
    services = {s for t in texts for s in re.findall(r'client\(\s*"([a-z0-9-]+)"', t)}
    mappings = {s: boto3.client(s, region_name="us-east-1").meta.method_to_api_mapping for s in services}
    ops = set()
    for text in texts:
        names = set(re.findall(r"\.([a-z][a-z0-9_]+)", text)) | set(re.findall(r'get_paginator\(\s*"(\w+)"', text))
        for service, mapping in mappings.items():
            ops |= {f"{service}:{mapping[n]}" for n in names if n in mapping}
    return ops


def needed(ops: set[str]) -> set[str]:
    return {IAM_NAME.get(op, op) for op in ops} - NEEDS_NO_PERMISSION


def test_cfn_lint_passes() -> None:
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_no_statement_allows_a_wildcard_action() -> None:
    for action in actions():
        assert "*" not in action, action


def tool_files() -> list[Path]:
    """The tools' code: tools/ and its domain packages, without the sandbox."""
    return sorted(p for p in (ROOT / "tools").rglob("*.py") if "sandbox" not in p.parts)


def test_every_aws_operation_of_the_tools_is_allowed() -> None:
    ops = needed(operations_in(tool_files()))
    assert ops, "no AWS operations found in tools/"
    missing = sorted(ops - actions())
    assert missing == [], f"the tools call these but the template does not allow them: {missing}"


def test_no_tool_service_action_beyond_what_the_tools_use() -> None:
    used = needed(operations_in(tool_files())) | DERIVED
    granted = {a for a in actions() if a.split(":")[0] in TOOL_SERVICES}
    # S3 Tables actions come with the S3 Metadata configuration and its queries (not a boto3 call of ours).
    # The policy may be kept in S3 (PolicyS3Uri): reading it is opsbot's own, not a tool's.
    # Checkpoint values over 350 KB go to opsbot's own bucket (CheckpointOffload*), not a tool's.
    own = (
        athena_result_actions()
        | actions_of("PolicyFromS3")
        | actions_of("CheckpointOffload")
        | actions_of("CheckpointOffloadLifecycle")
    )
    extra = sorted(a for a in granted - used if not a.startswith("s3tables:") and a not in own)
    assert extra == [], f"granted but never used by a tool: {extra}"


def actions_of(sid: str) -> set[str]:
    for stmt in statements():
        if stmt.get("Sid") == sid:
            acts = stmt["Action"]
            return {acts} if isinstance(acts, str) else set(acts)
    return set()


def athena_result_actions() -> set[str]:
    return actions_of("AthenaResults")


def test_the_policy_is_read_from_the_deployments_source_only() -> None:
    # GIVEN the template WHEN the function reads its policy THEN it may read exactly what the source names
    ops = {op for op in operations_in([ROOT / "agent" / "policy.py"]) if op.split(":")[0] in ("ssm", "s3")}
    assert ops == {"ssm:GetParameter", "s3:GetObject"}
    assert actions_of("PolicyFromSsm") == {"ssm:GetParameter"} and actions_of("PolicyFromS3") == {"s3:GetObject"}
    env = template()["Resources"]["OpsbotFunction"]["Properties"]["Environment"]["Variables"]
    assert "OPSBOT_POLICY_FILE" not in env and "OPSBOT_POLICY_SOURCE" in env


def test_approvals_table_indexes_pending_requests_by_thread_and_call_and_calls_in_flight() -> None:
    from agent.stores.dynamodb import IN_FLIGHT_INDEX, IN_FLIGHT_KEY, PENDING_INDEX

    props = template()["Resources"]["ApprovalsTable"]["Properties"]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {PENDING_INDEX, IN_FLIGHT_INDEX}
    assert [(k["AttributeName"], k["KeyType"]) for k in indexes[PENDING_INDEX]["KeySchema"]] == [
        ("pending_thread", "HASH"),
        ("pending_call", "RANGE"),
    ]
    # the recovery sweep's query: approved and executing records, by status
    assert [(k["AttributeName"], k["KeyType"]) for k in indexes[IN_FLIGHT_INDEX]["KeySchema"]] == [
        (IN_FLIGHT_KEY, "HASH")
    ]
    (query,) = [s for s in statements() if "dynamodb:Query" in s["Action"]]
    assert {"Fn::Sub": "${ApprovalsTable.Arn}/index/pending-by-thread"} in query["Resource"]
    assert {"Fn::Sub": "${ApprovalsTable.Arn}/index/in-flight"} in query["Resource"]


def test_audit_entries_are_copied_to_an_object_lock_bucket_opsbot_cannot_write() -> None:
    res = template()["Resources"]
    bucket = res["AuditArchiveBucket"]["Properties"]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert res["AuditTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    archive = res["AuditArchiveFunction"]["Properties"]
    assert archive["Events"]["AuditEntries"]["Properties"]["Stream"] == {"Fn::GetAtt": ["AuditTable", "StreamArn"]}
    (stmt,) = archive["Policies"][0]["Statement"]
    assert stmt["Action"] == "s3:PutObject"
    # opsbot's own role has no access to the archive at all
    assert all("AuditArchiveBucket" not in str(s.get("Resource")) for s in statements())


# What the checkpoint saver's S3 calls need in IAM, and the two it makes that opsbot never triggers:
# deleting a whole thread (opsbot lets TTL and the bucket's lifecycle expire them), and writing the
# bucket's lifecycle (the template creates the rule under the id the saver looks for).
SAVER_S3_IAM = {
    "s3:PutObject": {"s3:PutObject", "s3:PutObjectTagging"},  # objects are tagged for the expiry rule
    "s3:GetObject": {"s3:GetObject"},
    "s3:DeleteObjects": set(),
    "s3:GetBucketLifecycleConfiguration": {"s3:GetLifecycleConfiguration"},
    "s3:PutBucketLifecycleConfiguration": set(),
}


def test_state_tables_and_offload_bucket_allow_what_the_stores_and_checkpointer_call() -> None:
    import langgraph_checkpoint_aws.checkpoint.dynamodb as saver_pkg

    saver_files = sorted(Path(saver_pkg.__file__).parent.glob("*.py"))
    store_files = [ROOT / "agent" / "stores" / "dynamodb.py"]
    ops = operations_in(saver_files + store_files)
    ddb = {op for op in ops if op.startswith("dynamodb:")}
    assert "dynamodb:PutItem" in ddb
    assert sorted(needed(ddb) - actions()) == []
    # the S3 offload: every S3 call of the saver is known here, and what it needs is granted on the bucket
    s3 = {op for op in ops if op.startswith("s3:")}
    assert s3 == set(SAVER_S3_IAM), s3
    wanted = set().union(*SAVER_S3_IAM.values())
    granted = actions_of("CheckpointOffload") | actions_of("CheckpointOffloadLifecycle")
    assert granted == wanted
    # opsbot never deletes a thread's checkpoints itself (what the saver's DeleteObjects serves)
    code = "".join(p.read_text() for p in (ROOT / "agent").rglob("*.py"))
    assert "delete_thread" not in code


def test_checkpoints_expire_and_large_values_go_to_a_bucket_that_expires_them_too() -> None:
    from agent.stores.dynamodb import CHECKPOINT_S3_PREFIX, s3_lifecycle_rule_id
    from tools.config import Settings

    res = template()["Resources"]
    bucket = res["CheckpointOffloadBucket"]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == f"{CHECKPOINT_S3_PREFIX}/" and rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == {"Ref": "CheckpointTtlDays"}
    # the rule's id is the saver's, so the saver finds it and never rewrites the bucket's lifecycle
    days = template()["Parameters"]["CheckpointTtlDays"]["Default"]
    sub = rule["Id"]["Fn::Sub"].replace("${CheckpointTtlDays}", str(days))
    assert sub == s3_lifecycle_rule_id(Settings(ddb_checkpoint_ttl_days=days))
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    env = res["OpsbotFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OPSBOT_DDB_CHECKPOINT_BUCKET"] == {"Ref": "CheckpointOffloadBucket"}
    assert env["OPSBOT_DDB_CHECKPOINT_TTL_DAYS"] == {"Ref": "CheckpointTtlDays"}
    (offload,) = [s for s in statements() if s.get("Sid") == "CheckpointOffload"]
    assert offload["Resource"] == {"Fn::Sub": "${CheckpointOffloadBucket.Arn}/checkpoints/*"}


def test_a_schedule_invokes_the_function_for_the_recovery_sweep() -> None:
    fn = template()["Resources"]["OpsbotFunction"]["Properties"]
    sweep = fn["Events"]["RecoverySweep"]
    assert sweep["Type"] == "Schedule"
    assert sweep["Properties"]["Schedule"] == {"Fn::Sub": "rate(${RecoverySweepMinutes} minutes)"}
    assert sweep["Properties"]["Enabled"] is True
    params = template()["Parameters"]
    assert params["RecoverySweepMinutes"]["MinValue"] >= 2  # "rate(1 minutes)" is not a valid rate
    # its bound on tries reaches the function's settings
    assert fn["Environment"]["Variables"]["OPSBOT_RECOVERY_MAX_ATTEMPTS"] == {"Ref": "RecoveryMaxAttempts"}
    # a failed sweep is not retried by Lambda: the next one comes within minutes
    assert fn["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_function_is_python312_arm64_behind_a_function_url_and_may_invoke_itself() -> None:
    fn = template()["Resources"]["OpsbotFunction"]
    glob = template()["Globals"]["Function"]
    assert glob["Runtime"] == "python3.12" and glob["Architectures"] == ["arm64"]
    assert fn["Properties"]["Handler"] == "deploy.handler.handler"
    assert fn["Properties"]["FunctionUrlConfig"]["AuthType"] == "NONE"
    assert fn["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    (invoke,) = [s for s in statements() if s["Action"] == "lambda:InvokeFunction"]
    resources = [r["Fn::Sub"] for r in invoke["Resource"]]
    name = fn["Properties"]["FunctionName"]["Fn::Sub"]
    assert all(name in r for r in resources)


def test_tables_have_ttl_and_match_the_store_key_schemas() -> None:
    res = template()["Resources"]
    keys = {
        k: [(a["AttributeName"], a["KeyType"]) for a in res[k]["Properties"]["KeySchema"]]
        for k in ("CheckpointsTable", "ApprovalsTable", "AuditTable")
    }
    assert keys == {
        "CheckpointsTable": [("PK", "HASH"), ("SK", "RANGE")],
        "ApprovalsTable": [("id", "HASH")],
        "AuditTable": [("stream", "HASH"), ("seq", "RANGE")],
    }
    for name in keys:
        assert res[name]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_logs_are_kept_for_a_bounded_time_and_secrets_and_model_are_parameters() -> None:
    res = template()["Resources"]
    assert res["LogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    params = template()["Parameters"]
    for name in ("SlackSecretArn", "SlackBotToken", "SlackSigningSecret", "BedrockModelId"):
        assert name in params
    assert params["SlackBotToken"]["NoEcho"] and params["SlackSigningSecret"]["NoEcho"]


def test_the_default_bedrock_model_is_opsbots_one_default() -> None:
    # GIVEN the one default model of tools.config WHEN the stack is deployed without BedrockModelId
    # THEN the function runs that same model
    from tools.config import DEFAULT_BEDROCK_MODEL

    default = template()["Parameters"]["BedrockModelId"]["Default"]
    assert f"bedrock:{default}" == DEFAULT_BEDROCK_MODEL
