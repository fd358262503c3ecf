"""The music and choreography rules: beat analysis, the blueprint generator, the move catalog.

Plain Python and numpy (FFmpeg only through ``assembly`` to decode audio); no Django, no
database, so every rule is testable alone.
"""
