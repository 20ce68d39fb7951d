"""The home page and other pages that belong to no single feature."""
