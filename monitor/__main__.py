"""`python -m monitor` runs the command line."""

from .launch import main

main()
