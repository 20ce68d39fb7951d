"""Bulk import and export of postings (spreadsheets) and the JSON-lines backup commands."""
