"""opsbot agent: graph, models, policy, approvals, audit and front ends.

Kept empty so that ``opsbot --help`` and the Lambda ack path do not import the graph.
"""
