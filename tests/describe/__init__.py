"""Describe it in words (``choreography.describe``): the interpreter, the optional LLM, the API and
the page.
"""
