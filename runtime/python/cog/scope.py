"""The scope of the running prediction: ``current_scope().context`` and ``.record_metric()``, ``emit_metric()``."""
import contextvars
from typing import Any, Callable, Dict, Optional

_METRIC_MODES = {"replace": "replace", "incr": "increment", "increment": "increment", "append": "append"}


class Scope:
    """One prediction's view of the server: its context (from the request) and its metrics."""

    def __init__(self, prediction_id: str, context: Dict[str, str], send_metric: Callable[[str, Any, str], None]) -> None:
        self.id = prediction_id
        self.context = dict(context)
        self._send_metric = send_metric

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Adds a metric to the prediction's response: ``mode`` is "replace", "incr" or "append"."""
        check_metric_name(name)
        if mode not in _METRIC_MODES:
            raise ValueError(f'invalid metric mode {mode!r}: use "replace", "incr" (or "increment") or "append"')
        self._send_metric(name, value, _METRIC_MODES[mode])


class _NoScope(Scope):
    """Outside a prediction: context is empty and metrics go nowhere (as in Cog)."""

    def __init__(self) -> None:
        super().__init__("", {}, lambda name, value, mode: None)


_current: contextvars.ContextVar[Optional[Scope]] = contextvars.ContextVar("cog_scope", default=None)
_NO_SCOPE = _NoScope()


def current_scope() -> Scope:
    """The running prediction's scope (a no-op scope outside one)."""
    return _current.get() or _NO_SCOPE


def emit_metric(name: str, value: Any, mode: str = "replace") -> None:
    """Records a metric on the running prediction (Cog's older spelling of ``current_scope().record_metric``)."""
    current_scope().record_metric(name, value, mode)


def set_scope(scope: Optional[Scope]) -> contextvars.Token:
    return _current.set(scope)


def check_metric_name(name: Any) -> None:
    """Cog's metric name rules: raises ValueError with the reason."""
    def bad(reason: str) -> ValueError:
        return ValueError(f"invalid metric name {str(name)[:200]!r}: {reason}")
    if not isinstance(name, str) or not name:
        raise bad("it must be a non-empty string")
    if name == "predict_time":
        raise bad("predict_time is reserved")
    if name == "cog" or name.startswith("cog."):
        raise bad('the "cog." prefix is reserved')
    if len(name) > 128:
        raise bad("it must be at most 128 characters long")
    if name.startswith(".") or name.endswith("."):
        raise bad("it must not start or end with a dot")
    segments = name.split(".")
    if any(s == "" for s in segments):
        raise bad("it must not have empty segments (two dots in a row)")
    if len(segments) > 4:
        raise bad("it may have at most 4 dot-separated segments")
    for s in segments:
        if not s[0].isascii() or not s[0].isalpha():
            raise bad(f"each segment must start with a letter ({s!r} does not)")
        if not all(c.isascii() and (c.isalnum() or c == "_") for c in s):
            raise bad(f"each segment may hold only letters, digits and underscores ({s!r} does not)")
        if "__" in s:
            raise bad(f"it must not contain consecutive underscores ({s!r})")
        if not s[-1].isalnum():
            raise bad(f"each segment must end with a letter or digit ({s!r} does not)")
