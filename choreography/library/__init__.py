"""Filling the library: importing songs and move clips (one file or a batch) and the demo."""
