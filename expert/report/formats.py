"""The names of the output formats, for ``--format`` (no renderer is imported here, so the
command line offers them without loading rich or the report models)."""

from __future__ import annotations

#: What every command prints: the terminal view (rich) or one JSON document.
FORMATS = ("rich", "json")
#: What a report of diagnoses can also be written as (``expert.report.output.render``).
REPORT_FORMATS = (*FORMATS, "markdown", "html")
#: What a result store's summary is written as (``expert.report.catalogue``).
SUMMARY_FORMATS = (*FORMATS, "markdown")
