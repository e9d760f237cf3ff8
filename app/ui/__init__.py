"""The Textual wizard: eight screens over the engine in ``app.core`` (which never imports this)."""
