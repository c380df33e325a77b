"""The `measures` command line."""

import warnings

# eventlet (under nameko) announces its deprecation on import; users of the CLI cannot act on it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
