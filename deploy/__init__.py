"""Serving opsbot from AWS Lambda: the handler, the SAM template and the IAM policies."""
