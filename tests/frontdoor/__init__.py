"""Tests of the front door (choreography/frontdoor/)."""
