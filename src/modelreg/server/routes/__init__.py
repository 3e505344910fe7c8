"""Route tables, one module per API area."""
