"""Generation (``choreography.generation``): the generate API, streaming, admission, idempotency,
history, disk safety, the player page.
"""
