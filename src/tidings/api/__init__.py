"""The HTTP edge: an ASGI app speaking the ACS REST APIs plus Tidings' own endpoints."""
