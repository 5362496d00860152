"""A multi-process deployment on one machine: N app processes on one database behind nginx."""
