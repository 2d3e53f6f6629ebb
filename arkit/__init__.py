"""arkit: receivables-operations toolkit."""
