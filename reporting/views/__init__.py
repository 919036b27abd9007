"""Pages of the reporting app: the dashboard, the platform batches, the return files, the notices."""
