"""A fresh place to simulate in: the output folder and an empty database.

The output folder holds the SQLite file (unless ``--db`` names another
database), the evidence stored, the messages sent, the journal and the
report. A folder a previous simulation made (it carries ``MARKER``) is
emptied of what that simulation wrote; any other non-empty folder is refused,
and so is a database holding any row: a simulation never writes into a real
campaign.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError

from dacapo.engine.errors import BadInput, DatabaseUnavailable
from dacapo.store.database import DEFAULT_FILENAME, database_url, upgrade
from dacapo.store.engines import make_engine
from dacapo.store.tables import metadata

MARKER = ".dacapo-simulation"
WRITTEN = (
    DEFAULT_FILENAME,
    f"{DEFAULT_FILENAME}-wal",
    f"{DEFAULT_FILENAME}-shm",
    "outbox",
    "documents",
    "families.csv",
    "journal.txt",
    "report.html",
)


def prepare_folder(out: Path) -> None:
    """``out`` ready and marked; a previous simulation's files there removed."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BadInput(
            f"--out {out}: the folder is not empty and no simulation made it; "
            "choose a new or empty folder"
        )
    for name in WRITTEN:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        "Made by `dacapo simulate`: its files are replaced by the next run.\n"
    )


def require_empty(url: str | None, out: Path) -> None:
    """Refuse a database holding any row in a Da Capo table (``url`` None: the SQLite
    file in ``out``)."""
    engine = make_engine(database_url(url, out))
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables
                if table.name in present
            }
    except OperationalError as error:
        raise DatabaseUnavailable(f"Cannot open the database {shown}: {error.orig}") from None
    finally:
        engine.dispose()
    filled = {name: n for name, n in counts.items() if n}
    if filled:
        rows = ", ".join(f"{n} in {name}" for name, n in sorted(filled.items()))
        raise BadInput(
            f"--db {shown}: the database is not empty ({rows}); "
            "a simulation needs an empty database of its own"
        )


def fresh_database(url: str | None, out: Path) -> None:
    """``out`` prepared (see ``prepare_folder``) and an empty database at the schema's head."""
    if url is not None:
        require_empty(url, out)  # before anything is removed from ``out``
    prepare_folder(out)
    require_empty(url, out)
    upgrade(url, out)
