"""opsbot's system prompts, installed as package data: ``supervisor.md`` (the routing rules; the list
of specialists is filled in from the toolsets) and one prompt per specialist route."""
