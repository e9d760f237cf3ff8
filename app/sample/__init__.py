"""Realistic AI Log Trail sample data and a throw-away PostgreSQL: demo, tests, benchmark.

Nothing in the migration engine (``app.core``) imports this package: it only makes the inputs the
engine is exercised on. ``python -m app.sample OUT.sqlite --size 100MB`` writes a sample file.
"""
