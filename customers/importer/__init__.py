"""Import customers, bills and events from CSV or XLSX files (data-contract.md, "Imports").

`run_import(kind, path, user=...)` is used by the `import_records` command and the
upload page alike; `SPECS` describes each kind's columns.
"""

from .engine import KINDS, ImportResult, RowError, run_import
from .reader import ImportFileError
from .specs import SPECS

__all__ = ["KINDS", "SPECS", "ImportFileError", "ImportResult", "RowError", "run_import"]
