"""The platform batches: list, batch page with held-back and returned rows, status actions, downloads."""
