import re

_WORD = re.compile(r"[a-z']+")


def words(text):
    """The lower-case words of text, in order."""
    return _WORD.findall(text.lower())
