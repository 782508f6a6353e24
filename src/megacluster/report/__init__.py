"""Views of a run's results: the self-contained HTML report and side-by-side comparisons.

Everything here reads :class:`megacluster.results.assemble.Results` only; no model is ever re-run.
"""
