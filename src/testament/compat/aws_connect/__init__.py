"""Amazon Connect's test-case API, as botocore's `connect` client speaks it (rest-json).

Mounted at `/aws/connect`, so `boto3.client("connect", endpoint_url="http://HOST:PORT/aws/connect")`
works unchanged. Requests are authenticated with AWS Signature Version 4 using the access
key pair that `testament key create` issues; `InstanceId` is the workspace's id.

- `sigv4.py`: signature verification (botocore's own SigV4Auth recomputes the signature).
- `errors.py`: the AWS error shape, and the one table from domain errors to AWS errors.
- `schemas.py`: request and response bodies with the service model's constraints.
- `translate.py`: pure functions between AWS shapes and core objects.
- `router.py`: the routes; glue only.
"""
