"""The migration engine: everything the command line and the wizard do, with no UI code.

Nothing under ``app.core`` imports Textual; ``tests/test_layering.py`` proves it.
"""
