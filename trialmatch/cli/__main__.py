"""`python -m trialmatch.cli`: the same as the `trialmatch` command."""

from __future__ import annotations

from trialmatch.cli import main

main()
