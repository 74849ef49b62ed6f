"""Selection: the judge, the ordering and the selector; verdicts as data, and their English."""
