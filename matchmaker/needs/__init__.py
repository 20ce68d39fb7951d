"""Enterprise needs blueprint."""
