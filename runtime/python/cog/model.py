"""``cog.BaseModel``: a structured output, declared with annotations like a dataclass (no pydantic)."""
import dataclasses
from typing import Any, Dict


class BaseModel:
    """Subclasses become dataclasses: ``class Output(BaseModel): text: str; score: float = 0.0``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(cls)

    def dict(self) -> Dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    model_dump = dict
