"""The `chainbook` command line (typer + rich); the app is chainbook.cli.main:app."""
