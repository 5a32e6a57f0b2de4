"""Tidings: a self-hosted, Azure Communication Services-compatible messaging platform."""

__version__ = "0.1.0"
