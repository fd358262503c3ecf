"""The edges every feature shares (``choreography.api``, ``asgi_project``): errors, OpenAPI,
security, limits, pages, downloads.
"""
