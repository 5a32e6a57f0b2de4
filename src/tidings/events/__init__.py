"""Event delivery adapters: the webhook HTTP client."""
