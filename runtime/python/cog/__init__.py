"""cogts's own Python SDK for Cog predictors: the public API of Cog's ``cog`` package, standard library only.

    from cog import BasePredictor, Input, Path

    class Predictor(BasePredictor):
        def predict(self, text: str = Input(description="Text")) -> str:
            return text

The schema is read from the source statically (nothing here runs for it); this package is what the predictor
imports when the cogts worker runs it.
"""
from .exceptions import CancelationException
from .model import BaseModel
from .predictor import BasePredictor, BaseRunner
from .scope import Scope, current_scope, emit_metric
from .types import (
    AsyncConcatenateIterator,
    ConcatenateIterator,
    ExperimentalFeatureWarning,
    File,
    Input,
    Opaque,
    Path,
    Secret,
    URLPath,
    concurrent,
    streaming,
)

__version__ = "0.22.0+cogts"

__all__ = [
    "AsyncConcatenateIterator",
    "BaseModel",
    "BasePredictor",
    "BaseRunner",
    "CancelationException",
    "ConcatenateIterator",
    "ExperimentalFeatureWarning",
    "File",
    "Input",
    "Opaque",
    "Path",
    "Scope",
    "Secret",
    "URLPath",
    "concurrent",
    "current_scope",
    "emit_metric",
    "streaming",
]
