"""opsbot tools: one package per domain (training, inference, cache, data, cost), each declaring its
``Toolset``; the registry and runtime that serve them; the instance catalog; AWS access and the sandbox.

Importing this package is cheap on purpose; the registry imports the domain packages on first use.
"""
