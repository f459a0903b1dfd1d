"""What the two runtimes agree on: the actions (Python 3.10) and the case service (3.11).

Standard library only, so both virtual environments import the same file.
"""
