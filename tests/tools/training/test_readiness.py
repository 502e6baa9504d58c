"""What a real cluster create needs, checked on their own: a trust policy for SageMaker, EFA-ready
security groups."""

from __future__ import annotations

import pytest

from tools.training.readiness import efa_ready, efa_types, trusts_sagemaker


@pytest.mark.parametrize(
    ("statement", "trusted"),
    [
        ({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}, True),
        (
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "sagemaker.amazonaws.com"]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
            True,
        ),
        ({"Effect": "Deny", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
        ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
        ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}, False),
    ],
)
def test_only_an_allow_for_sagemaker_to_assume_the_role_is_trust(statement: dict, trusted: bool) -> None:
    assert trusts_sagemaker({"Version": "2012-10-17", "Statement": [statement]}) is trusted


def _group(ingress: list, egress: list) -> dict:
    return {"GroupId": "sg-1", "IpPermissions": ingress, "IpPermissionsEgress": egress}


SELF = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}
ANYWHERE = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
HTTPS_SELF = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-1"}]}


@pytest.mark.parametrize(
    ("ingress", "egress", "ready"),
    [
        ([SELF], [SELF], True),
        ([SELF], [ANYWHERE], True),  # all traffic out to anywhere includes itself
        ([ANYWHERE], [SELF], False),  # in from anywhere is not in from itself, and not what EFA asks for
        ([HTTPS_SELF], [SELF], False),  # only one port
        ([SELF], [], False),
    ],
)
def test_efa_needs_all_traffic_in_from_and_out_to_the_group_itself(ingress: list, egress: list, ready: bool) -> None:
    assert efa_ready(_group(ingress, egress)) is ready


def test_the_catalog_says_which_types_use_efa() -> None:
    assert efa_types(["ml.c7g.xlarge", "ml.p5.48xlarge", "ml.p5.48xlarge", "ml.trn2.48xlarge"]) == [
        "ml.p5.48xlarge",
        "ml.trn2.48xlarge",
    ]
