"""The FFmpeg engine (``assembly``): blueprints, pure command building, the runner, media
preparation, loudness.
"""
