"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtp_mailbox import Mailbox


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free loopback port, for the test's duration."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()
