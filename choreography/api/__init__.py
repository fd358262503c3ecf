"""The HTTP edge: routes, request/response schemas, auth schemes, error mapping, pages, media.

Everything that knows about HTTP lives here; it calls the use cases in
``choreography.generation`` and ``choreography.library`` and never holds process state itself
(that is ``choreography.runtime``).
"""
