"""`python -m syncbeat.cli`: the `syncbeat` command."""

from syncbeat.cli import main

main()
