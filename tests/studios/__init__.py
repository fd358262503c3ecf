"""Tests of choreography.studios: instructors, studios, invites, the studio library."""
