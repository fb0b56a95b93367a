"""``dacapo report``: a campaign's state for the staff, as a table, CSV, JSON or HTML.

``model`` is the report as data, ``build`` assembles it from the set-based
queries of ``store.report_queries`` at one instant, and each ``render_*``
module lays it out in one format.
"""
