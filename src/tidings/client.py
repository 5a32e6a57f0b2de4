"""The client for Tidings' own endpoints, as ``tidings.client`` (it lives in the
``tidings_client`` package, which also installs alone: ``pip install ./clients/python``)."""

from tidings_client import HmacAuth, TidingsClient

__all__ = ["HmacAuth", "TidingsClient"]
