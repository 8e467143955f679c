"""Commands of this area are registered on `trialmatch.cli.app.app` here."""

from __future__ import annotations
