"""Modal dialogs the wizard's steps open over themselves: a yes/no question, a file picker."""
