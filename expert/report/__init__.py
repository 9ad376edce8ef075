"""Presentation of results: models of the JSON report and renderers (rich, markdown, html)."""
