"""A match page, the answers of both sides, my matches and notifications."""
