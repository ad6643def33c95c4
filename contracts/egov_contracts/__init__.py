"""egov_contracts: the event language of egov-events.

Importing the package registers every event model, so ``model_for`` knows every type.
"""

from egov_contracts import (  # noqa: F401  (registration)
    indicators,
    nominations,
    notifications,
    procedures,
    reference,
)
