"""``cog.BaseModel``: a structured output, declared with annotations like a dataclass (no pydantic)."""
import dataclasses
from typing import Any, Dict


class BaseModel:
    """Subclasses become dataclasses: ``class Output(BaseModel): text: str; score: float = 0.0``.

    As Cog's pydantic-based model did on the wire, a field left out when the model was made, and still at its
    default, is left out of the output (``exclude_unset``): recorded Cog traffic has ``Output(text=…)`` without
    ``note`` and with ``file: null`` when ``file=None`` was passed.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(cls)
        init = cls.__init__
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            object.__setattr__(self, "__cog_set__", frozenset(names[: len(args)]) | frozenset(kw))

        __init__.__doc__ = init.__doc__
        cls.__init__ = __init__  # type: ignore[method-assign]

    def dict(self, exclude_unset: bool = False) -> Dict[str, Any]:
        given = getattr(self, "__cog_set__", None)
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if exclude_unset and given is not None and f.name not in given and f.default is not dataclasses.MISSING and value == f.default:
                continue
            out[f.name] = value
        return out

    model_dump = dict
