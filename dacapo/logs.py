"""structlog set-up, done once at start-up by the CLI."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

LogFormat = Literal["auto", "console", "json"]


def configure_logging(fmt: LogFormat = "auto", *, quiet: bool = False) -> None:
    """Console lines on a terminal, JSON lines otherwise (or when asked).

    Configured once per process: a second call (a test running the CLI again,
    or one capturing the logs) keeps the configuration in place.
    """
    if structlog.is_configured():
        return
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.WARNING if quiet else logging.INFO
        ),
        # Resolved when a logger is made, not now: sys.stderr may be replaced later.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)
