"""What every part of password handling agrees on: the normal form and the bounds.

Unicode. Every password is normalised to NFKC before it is checked or hashed (as NIST SP
800-63B advises): the same password typed on another device or keyboard may reach us as other
code points (a composed "é" from one system, "e" + combining accent from another; full-width
letters from an Asian input method; the "ﬁ" ligature), and the user must still be able to sign
in. NFKC rather than NFC folds those compatibility forms too. The checks see the same
normalised string as the hash, so a rule ticked on the form is ticked on the server; clients
normalise with `String.prototype.normalize("NFKC")` before testing the checklist's patterns.
Lengths are counted in code points of the normalised password (in JavaScript,
`[...password.normalize("NFKC")].length`, not `.length`, which counts UTF-16 units).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict

NORMALIZATION: Literal["NFKC"] = "NFKC"

# No policy may demand less than the portal's default (seed 000), nor cap passwords below
# the 64 characters NIST asks services to accept; the hard cap bounds the work one sign-in
# can cause (normalising, checking) whatever a request carries.
MIN_LENGTH_FLOOR = 8
MAX_LENGTH_FLOOR = 64
HARD_MAX_LENGTH = 1024
DEFAULT_SPECIAL_CHARACTERS = "$?!&%*@"

# Personal data shorter than this ("Li", "Jo") would refuse far too many good passwords.
PERSONAL_MIN_LENGTH = 4


def normalize(password: str) -> str:
    """The form of a password that is checked and hashed (see the module's docstring)."""
    return unicodedata.normalize(NORMALIZATION, password)


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
