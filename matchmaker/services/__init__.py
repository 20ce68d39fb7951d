"""Plain functions that enforce the rules and own the transaction (one commit per request or command)."""
