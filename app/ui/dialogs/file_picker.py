"""Browse for the SQLite file: folders and likely database files only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Static

SQLITE_SUFFIXES = {".sqlite", ".sqlite3", ".db", ".db3"}


class SqliteTree(DirectoryTree):
    """A directory tree that hides files which are unlikely to be SQLite databases."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Folders (not hidden) and files with a database suffix."""
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in SQLITE_SUFFIXES)
        ]


class FilePicker(ModalScreen[Path | None]):
    """Returns the chosen file, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("backspace", "up", "Parent folder"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self._start = start

    def compose(self) -> ComposeResult:
        """A title and the tree."""
        with Vertical(id="picker"):
            yield Static(
                "Choose the SQLite file: enter opens a folder or picks a file, backspace goes "
                "to the parent folder, escape cancels.",
                id="picker-title",
                markup=False,
            )
            yield Static(str(self._start), id="picker-folder", markup=False)
            yield SqliteTree(self._start, id="tree")

    def on_mount(self) -> None:
        """Keyboard first: the tree has focus."""
        self.query_one(SqliteTree).focus()

    def action_up(self) -> None:
        """Show the parent of the current top folder (the tree started at the path's folder,
        which need not be where the file is)."""
        tree = self.query_one(SqliteTree)
        current = Path(tree.path).resolve()
        if current.parent != current:
            tree.path = current.parent
            self.query_one("#picker-folder", Static).update(str(current.parent))

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)
