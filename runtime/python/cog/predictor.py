"""The base classes of a predictor: ``BasePredictor`` (predict) and ``BaseRunner`` (run, Cog 0.20+)."""
from typing import Any, Optional

from .types import Path


class BasePredictor:
    """Subclass it and define ``predict()`` (sync or async, plain or a generator); ``setup()`` runs once first."""

    def setup(self, weights: Optional[Path] = None) -> None:  # noqa: ARG002 - Cog's signature
        """Load the model once. Called with ``weights`` when it declares that parameter."""
        return None

    def predict(self, **kwargs: Any) -> Any:
        raise NotImplementedError("predict() must be implemented")

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Shortcut for ``current_scope().record_metric``."""
        from .scope import current_scope
        current_scope().record_metric(name, value, mode)


class BaseRunner(BasePredictor):
    """Cog 0.20+'s name: define ``run()`` instead of ``predict()``."""

    def run(self, **kwargs: Any) -> Any:
        raise NotImplementedError("run() must be implemented")

    def predict(self, **kwargs: Any) -> Any:
        return self.run(**kwargs)
