"""Testament: a self-hosted test execution server."""

__version__ = "0.1.0"
