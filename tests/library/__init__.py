"""The library (``choreography.library``): catalog, imports, staff uploads, variants, posters,
demo, renormalize.
"""
