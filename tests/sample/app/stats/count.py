from collections import Counter

from ..text import words


def summary(text, most=3):
    """The most frequent words of text with their counts."""
    return Counter(words(text)).most_common(most)
