"""`make bench`: wall time and peak memory of every stage on generated studies (see run.py)."""
