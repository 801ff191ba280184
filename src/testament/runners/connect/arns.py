"""Amazon Connect ARNs as Testament writes them, for the runner and the Connect surface alike.

There is no AWS account behind Testament, so ARNs carry a fixed account id. The region is the
one a client signs its requests for (boto3's `region_name`); an execution started through the
Connect surface keeps it in its `connect.region` variable, others use DEFAULT_REGION. The
instance is the workspace: `arn:aws:connect:<region>:000000000000:instance/<workspace id>`, the
ARN form the surface accepts for an InstanceId.
"""

__all__ = ["ACCOUNT", "DEFAULT_REGION", "REGION_VARIABLE", "instance_arn"]

ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
REGION_VARIABLE = "connect.region"


def instance_arn(region: str, workspace_id: str) -> str:
    return f"arn:aws:connect:{region}:{ACCOUNT}:instance/{workspace_id}"
