"""Signals other apps listen to. ``events_accepted``: a batch of events was captured durably
(``records``: their lake records); For You reads clicks and "not interested" from it."""

from __future__ import annotations

from django.dispatch import Signal

events_accepted = Signal()
