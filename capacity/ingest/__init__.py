"""Importing files safely: screened, checked row by row, then loaded all or nothing.

Four kinds of file come in as CSV or Excel (.xlsx): referral records, service
parameters, monthly demand counts and trust-to-place shares. NHS England's
discharge workbooks have their own reader in :mod:`capacity.sitrep`.

1. :func:`stage_file` screens the file before anything reads it as data
   (:mod:`~capacity.ingest.files`): empty, over the size limit, binary, a
   damaged workbook, an unknown encoding, a line far too long, or a header
   without the columns this kind needs (:mod:`~capacity.ingest.kinds`) is a
   clear :class:`ImportFileError`.
2. :func:`check` reads the file with DuckDB's own CSV reader into temporary
   tables and lists every bad row: its row number, column, value and reason
   (:mod:`~capacity.ingest.checks`). Nothing is written.
3. :func:`load` checks again and writes the good rows — or, unless partial
   loading was chosen, nothing when any row is bad — in one transaction with
   an entry in the import log (:mod:`~capacity.ingest.loading`).
4. :func:`undo_last` takes the last import back out, restoring any rows it
   replaced; :func:`import_log` lists every import.
"""

from capacity.ingest.checks import Report, check
from capacity.ingest.files import ImportFileError, Staged, stage_file
from capacity.ingest.kinds import IMPORT_KINDS, KINDS
from capacity.ingest.loading import LoadResult, import_log, load, missing_imports, undo_last

__all__ = [
    "IMPORT_KINDS",
    "KINDS",
    "ImportFileError",
    "LoadResult",
    "Report",
    "Staged",
    "check",
    "import_log",
    "load",
    "missing_imports",
    "stage_file",
    "undo_last",
]
