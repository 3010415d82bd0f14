"""Tables (markdown, CSV) and figures (PNG): the only importer of matplotlib and seaborn."""
