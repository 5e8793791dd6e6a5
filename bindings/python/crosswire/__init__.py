"""crosswire for Python: the UniFFI-generated module (crosswire_ffi.py, next to this file, with
libcrosswire_ffi) re-exported under a stable name. bindings/ci.sh generates both."""

from .crosswire_ffi import *  # noqa: F401,F403
from .crosswire_ffi import CrosswireError  # noqa: F401
