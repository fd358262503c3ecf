"""The evaluation set of the built-in interpreter: phrasings with their expected reading."""
