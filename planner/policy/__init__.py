"""Policy: each client's selection rules as data (``rules/*.yaml``), their schema and loader."""
