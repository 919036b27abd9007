"""Uploading the platform's return file on a batch page."""
