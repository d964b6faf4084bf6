"""The `dwt` commands: the one layer above both the library (`dwt/`) and the flows (`flows/`).

Each subcommand parses its flags, builds the settings and the zone handles at the top, and runs
a flow (or the same sequence with plain steps). `commands.main` maps every `dwt.errors.DwtError`
to its exit code and message, once.
"""
