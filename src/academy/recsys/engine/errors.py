"""Errors the recommender engine raises; the Django side maps them to problem+json or a
command error."""

from __future__ import annotations


class RecsysError(ValueError):
    """Base of every error the engine raises on bad input or an impossible request."""


class InteractionFormatError(RecsysError):
    """An interactions file cannot be read: the message names the file, the line and why."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class NotEnoughData(RecsysError):
    """Too few users or interactions for the requested operation."""


class CatalogueTooLarge(RecsysError):
    """The model cannot be trained on a catalogue of this size (EASE needs items² memory)."""


class ArtifactError(RecsysError):
    """A model bundle is missing, incomplete or of an unknown version."""
