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
    own = athena_result_actions() | actions_of("PolicyFromS3")
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


def test_approvals_table_indexes_pending_requests_by_thread_and_call() -> None:
    props = template()["Resources"]["ApprovalsTable"]["Properties"]
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "pending-by-thread"
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("pending_thread", "HASH"),
        ("pending_call", "RANGE"),
    ]
    (query,) = [s for s in statements() if "dynamodb:Query" in s["Action"]]
    assert {"Fn::Sub": "${ApprovalsTable.Arn}/index/pending-by-thread"} in query["Resource"]


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


def test_state_tables_allow_what_the_stores_and_checkpointer_call() -> None:
    import langgraph_checkpoint_aws.checkpoint.dynamodb as saver_pkg

    saver_files = sorted(Path(saver_pkg.__file__).parent.glob("*.py"))
    store_files = [ROOT / "agent" / "stores" / "dynamodb.py"]
    # the checkpointer's files name both dynamodb and s3 clients; only DynamoDB is used (no S3 offload)
    ops = {op for op in operations_in(saver_files + store_files) if op.startswith("dynamodb:")}
    assert "dynamodb:PutItem" in ops
    missing = sorted(needed(ops) - actions())
    assert missing == []


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
