"""The broker as a service: a FastAPI app over the same library functions as the CLI."""

from computebroker.service.app import create_app

__all__ = ["create_app"]
