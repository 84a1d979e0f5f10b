"""The experiment workflows, one module each: the story of what a command does.

``train`` fits and registers a candidate; ``evaluate`` scores any logged model; ``promote``
makes a candidate the champion if it beats the current one on the same rows; ``predict``
scores a file in batches; ``serve`` starts a REST API of a model; ``monitor`` checks new data
for drift and the champion's metrics against its baseline. What each run records lives in
:mod:`..tracking.recording`, the registry conventions in :mod:`..tracking.registry`.
"""

from ..errors import RefusedError

__all__ = ["RefusedError"]
