"""The music rules (``choreography.music``): analysis, blueprint generation, sections, end to end."""
