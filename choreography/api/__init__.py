"""What every HTTP edge shares: the ninja API and its one list of feature routers, auth schemes,
the error shape and its mapping, shared schemas, SSE framing, signing, media and static serving,
health, request context, JSON errors and the CSP.

Each feature owns its own routes and pages (``choreography.<feature>.api`` / ``.pages`` /
``.urls``); ``choreography.api.app`` mounts the routers and ``choreography.urls`` the pages, both
in explicit lists. Nothing here holds process state (that is ``choreography.runtime``).
"""
