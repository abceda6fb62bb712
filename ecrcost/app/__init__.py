"""Use-cases: what a command does, callable the same way from the CLI and from a notebook. Each takes
typed options, returns results (and the bytes of files to write); none prints or writes."""
