"""Output values as JSON for the server: files out of band (see _protocol.py), BaseModel and dataclasses as
objects, Secret masked, non-finite floats as null."""
import collections.abc
import dataclasses
import datetime
import enum
import io
import math
import os
import pathlib
import re
import shutil
from typing import Any, Dict, List, Optional, Union

from .model import BaseModel
from .types import Secret


class OutputFiles:
    """One prediction's output directory and the places in the value its files were taken from."""

    def __init__(self, directory: str) -> None:
        self.dir = directory
        self.count = 0
        self.slots: List[Dict[str, Any]] = []
        self.at: List[Union[str, int]] = []

    def take(self) -> Optional[List[Dict[str, Any]]]:
        if not self.slots:
            return None
        slots, self.slots = self.slots, []
        return slots

    def add(self, path: str) -> None:
        real = os.path.realpath(path)
        if not os.path.isfile(real):
            raise ValueError(f"the output {path} is not a regular file")
        number = self.count
        self.count += 1
        sub = os.path.join(self.dir, str(number))
        os.makedirs(sub, mode=0o700, exist_ok=True)
        name = re.sub(r"[\x00-\x1f]", "_", os.path.basename(path)).lstrip(".") or "file"
        target = os.path.join(sub, name)
        try:
            os.link(real, target)
        except OSError:
            shutil.copyfile(real, target)
        self.slots.append({"at": list(self.at), "name": f"{number}/{name}"})


def is_iterator(value: Any) -> bool:
    if isinstance(value, (str, bytes, dict, list, tuple, io.IOBase)):
        return False
    return isinstance(value, (collections.abc.Iterator, collections.abc.AsyncIterator))


def serialize(value: Any, files: Optional[OutputFiles], depth: int = 0) -> Any:
    if depth > 64:
        raise ValueError("output is nested too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Secret):
        return "**********"
    if isinstance(value, pathlib.PurePath) or (isinstance(value, io.IOBase) and isinstance(getattr(value, "name", None), str)):
        path = str(value) if isinstance(value, pathlib.PurePath) else value.name  # type: ignore[union-attr]
        if files is None:
            return path
        files.add(path)
        return None
    if isinstance(value, enum.Enum):
        return serialize(value.value, files, depth + 1)
    if isinstance(value, dict):
        out: Dict[str, Any] = {}
        for key, item in value.items():
            if files is not None:
                files.at.append(str(key))
            out[str(key)] = serialize(item, files, depth + 1)
            if files is not None:
                files.at.pop()
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = []
        if files is not None:
            files.at.append(0)
        for index, item in enumerate(value):
            if files is not None:
                files.at[-1] = index
            items.append(serialize(item, files, depth + 1))
        if files is not None:
            files.at.pop()
        return items
    if isinstance(value, BaseModel):
        return serialize(value.dict(exclude_unset=True), files, depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return serialize({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, files, depth)
    for method in ("model_dump", "dict", "tolist"):
        fn = getattr(value, method, None)
        if callable(fn):
            return serialize(fn(), files, depth + 1)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot serialise an output of type {type(value).__name__}: return str, int, float, bool, "
                    "Path, a list or dict of these, or a BaseModel")
