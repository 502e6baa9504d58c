"""``python -m evals``: run the eval suite without the opsbot CLI."""

import sys

from evals.cli import cli

sys.exit(cli())
