"""opsbot tools: the typed tool catalog, the instance catalog, AWS access and the sandbox.

Importing this package is cheap on purpose; the registry loads tool modules on first use.
"""
