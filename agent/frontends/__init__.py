"""Front ends: the CLI commands, the chat REPL, and the Slack app."""
