"""The Slack front end: a bolt app served over Socket Mode (``opsbot slack``) or from AWS Lambda.

Importing this package is cheap on purpose: the Lambda acknowledgement path imports only bolt and
the modules here; the agent is imported inside the lazy listeners that do the work.
"""
