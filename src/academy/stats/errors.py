"""The one exception the statistics engine raises for input it cannot analyse."""

from __future__ import annotations


class StatsInputError(ValueError):
    """Input the engine cannot analyse (too few units, impossible sums, bad parameters).

    The message says what is wrong in words a person can act on; the app turns it into a 400.
    """
