from .count import summary
