"""Domain rules that are more than a query; no Flask in the pure ones."""
