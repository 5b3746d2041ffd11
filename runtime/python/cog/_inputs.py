"""The inputs of a prediction as the Python worker hands them to predict(): read from the message (or the file an
input too large to send inline was spilled to), integers of float inputs made floats, files wrapped as Path or an
open File, secrets as Secret, and omitted inputs filled from their Input() default."""
import copy
import inspect
import json
import os
import typing
from typing import Any, Callable, Dict, List

from .types import FieldInfo, Path, Secret


def is_file_annotation(annotation: Any) -> bool:
    from .types import File
    if annotation is File:
        return True
    if isinstance(annotation, str):
        return annotation.replace("cog.", "").replace("Optional[", "").replace("List[", "").replace("list[", "").rstrip("]| None") == "File"
    return any(is_file_annotation(arg) for arg in getattr(annotation, "__args__", ()) or ())


def as_float(annotation: Any, value: Any) -> Any:
    """A JSON integer given for a ``float`` input arrives as a float, as Cog's validation made it (``1`` → ``1.0``),
    also inside ``Optional[float]`` and ``list[float]``. A union of several types (``str | float``) keeps the value
    as it came, as Cog 0.21+ does with JSON-native unions: an integer stays an ``int``."""
    if isinstance(value, bool):
        return value
    args = getattr(annotation, "__args__", None) or ()
    members = [arg for arg in args if arg is not type(None)]
    if isinstance(value, int) and (annotation is float or (members == [float] and getattr(annotation, "__origin__", None) is not list)):
        return float(value)
    if isinstance(value, list) and getattr(annotation, "__origin__", None) is list and args:
        return [as_float(args[0], item) for item in value]
    return value


class Parameters:
    """How each input becomes an argument: wrapped (Path, File, Secret) and, when omitted, filled from Input()."""

    def __init__(self, method: Callable[..., Any], plans: List[Dict[str, Any]]) -> None:
        self.signature = inspect.signature(method)
        self.plans = {plan["name"]: plan for plan in plans}
        try:
            self.hints = typing.get_type_hints(method)
        except Exception:  # noqa: BLE001 - an unresolvable annotation: fall back to the raw ones
            self.hints = {}

    def arguments(self, values: Dict[str, Any]) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = {}
        for name, parameter in self.signature.parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            plan = self.plans.get(name, {"kind": "plain", "array": False, "nullWhenMissing": False})
            if name in values:
                annotation = self.hints.get(name, parameter.annotation)
                kwargs[name] = self.wrap(plan, as_float(annotation, values[name]), annotation)
            elif plan.get("nullWhenMissing"):
                kwargs[name] = None
            elif isinstance(parameter.default, FieldInfo):
                default = parameter.default.default if parameter.default.has_default else None
                kwargs[name] = self.wrap(plan, copy.deepcopy(default), parameter.annotation)
        return kwargs

    @staticmethod
    def wrap(plan: Dict[str, Any], value: Any, annotation: Any) -> Any:
        kind = plan.get("kind")
        if kind == "plain" or value is None:
            return value

        def one(item: Any) -> Any:
            if not isinstance(item, str):
                return item
            if kind == "secret":
                return Secret(item)
            if is_file_annotation(annotation):
                return open(item, "rb")  # noqa: SIM115 - Cog's File input is an open file the predictor reads
            return Path(item)

        return [one(v) for v in value] if plan.get("array") and isinstance(value, list) else one(value)


def read_input(message: Dict[str, Any]) -> Dict[str, Any]:
    values = message.get("input") or {}
    spill = message.get("inputFile")
    if spill:
        with open(spill, encoding="utf-8") as f:
            values = json.load(f)
        spill_dir = os.path.dirname(spill)
        import shutil
        if os.path.basename(spill_dir).startswith("cogts-spill-"):
            shutil.rmtree(spill_dir, ignore_errors=True)
        else:
            os.unlink(spill)
    return values
