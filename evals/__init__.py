"""The eval suite: YAML cases, an isolated runner, scorers, a safety monitor and reports.

``opsbot eval`` (``evals.cli.main``) runs every case of ``evals/cases`` against a model back end
on its own sandbox and prints the score, the safety violation count and where the report is.
"""
