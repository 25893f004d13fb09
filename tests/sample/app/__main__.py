from . import VERSION, summary, words

TEXT = """The cache goes where the user wants it, and the tree stays clean:
no __pycache__ in the tree, the same bytecode in the cache."""

print("words:", len(words(TEXT)))
print("most common:", summary(TEXT))
print("version:", VERSION)
