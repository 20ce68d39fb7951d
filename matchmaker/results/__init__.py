"""Research results blueprint."""
