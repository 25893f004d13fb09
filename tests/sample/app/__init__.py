"""A small package to show pycache-redirect at work: a few modules, a
subpackage and relative imports, so that Python writes several __pycache__
directories when it runs without the redirect."""
from .text import words
from .stats import summary
from .version import VERSION

__all__ = ["words", "summary", "VERSION"]
