"""Where the servers of the commands listen, and how a server runs as a child process.

Light on purpose: the command line imports it to show its defaults in ``--help``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SERVE_HOST = "127.0.0.1"  # `serve`: a model's REST API
SERVE_PORT = 5001  # next to the MLflow UI's 5000, so both can run at once


def server_environment(**variables: str) -> dict[str, str]:
    """Return this process's environment for a server it starts, with ``variables`` set.

    This interpreter's ``bin`` folder comes first on ``PATH``: MLflow starts ``uvicorn`` and
    ``gunicorn`` by name, and they must be found even when ``.venv`` is not activated.
    """
    bin_folder = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": os.pathsep.join([bin_folder, os.environ.get("PATH", "")]),
        **variables,
    }
