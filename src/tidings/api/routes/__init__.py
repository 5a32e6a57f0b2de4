"""Route tables, one module per API surface."""
