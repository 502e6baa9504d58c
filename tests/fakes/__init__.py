"""Fakes of external services that tests talk to over loopback."""
