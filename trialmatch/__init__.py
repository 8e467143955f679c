"""trialmatch: finds patients for clinical trials.

The packages `crawler`, `nlp_models`, `matcher` and `db` do the work; this
package holds what they share (errors, settings) and what sits on top of them
(the command line, the nightly pipeline, the demo).
"""

from __future__ import annotations

__version__ = "0.1.0"
