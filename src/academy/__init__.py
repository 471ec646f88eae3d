"""Creator Academy: teaches short-video creators how to grow."""

__version__ = "0.1.0"
