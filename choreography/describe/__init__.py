"""Describe it in words: a dancer's sentence becomes a song and generation parameters.

``interpreter`` is pure (text, vocabulary and catalog in, an Interpretation out); ``lexicon``
holds the English and Spanish words it knows; ``llm`` asks an optional OpenAI-compatible
endpoint and falls back to the built-in interpreter; ``service`` loads the catalog and picks
the interpreter; ``api`` is the route.
"""
