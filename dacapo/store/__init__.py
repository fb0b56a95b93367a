"""Storage: sqlmodel tables, migrations, the unit of work and its helpers.

- ``database``: ``open_database(url, data_dir)``, ``upgrade``, ``Database``.
- ``engines``: ``make_engine`` (SQLite WAL + busy timeout + BEGIN IMMEDIATE).
- ``unit_of_work``: ``UnitOfWork`` (commit explicitly, rolled back otherwise).
- ``tables``: every table; ``types``: ``UTCDateTime`` and the declarative base.
- ``dossiers``, ``audit``, ``outbox``, ``campaign_versions``: what the engine
  reads and writes inside a unit of work; ``chain``: the audit hash chain.
- ``migrate`` and ``migrations/``: Alembic, run from code.
"""
