"""Class plans (``choreography.classplans``): the API, its rules and the printable page."""
