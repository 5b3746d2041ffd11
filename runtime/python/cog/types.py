"""Cog's input and output types: ``from cog.types import Path, File, Secret, ConcatenateIterator``."""
import io
import pathlib
from typing import Any, AsyncIterator, Iterator, List, Optional, TypeVar, Union

T = TypeVar("T")


class ExperimentalFeatureWarning(Warning):
    """Kept for import compatibility with Cog."""


class Path(pathlib.PosixPath):
    """A file: inputs arrive as local files (URLs and data URLs are fetched first); a returned Path is sent to the
    client as a file."""


class URLPath(Path):
    """Kept for import compatibility: a Path that came from a URL."""


class File(io.IOBase):
    """Cog's legacy file type: an input declared ``File`` arrives as an open binary file."""


class Secret:
    """A sensitive string: ``get_secret_value()`` gives the text; printing it shows ``**********``."""

    __slots__ = ("_value",)

    def __init__(self, secret_value: Optional[str] = None) -> None:
        self._value = secret_value

    def get_secret_value(self) -> Optional[str]:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ConcatenateIterator(Iterator[T]):
    """Output type of a predictor that streams text the client shows joined (LLM tokens)."""

    def __next__(self) -> T:  # pragma: no cover - a type marker
        raise StopIteration


class AsyncConcatenateIterator(AsyncIterator[T]):
    """The async form of ConcatenateIterator."""

    async def __anext__(self) -> T:  # pragma: no cover - a type marker
        raise StopAsyncIteration


class Opaque:
    """``Annotated[X, cog.Opaque]``: an output the schema describes as any object."""


_MISSING = object()


class FieldInfo:
    """What ``Input(...)`` returns: the default and the options, read by the schema reader from the source and by
    the worker at run time (for the default of an omitted input)."""

    __slots__ = ("default", "description", "ge", "le", "min_length", "max_length", "regex", "choices", "deprecated", "accept")

    def __init__(self, default: Any = _MISSING, description: Optional[str] = None, ge: Optional[float] = None,
                 le: Optional[float] = None, min_length: Optional[int] = None, max_length: Optional[int] = None,
                 regex: Optional[str] = None, choices: Optional[List[Union[str, int]]] = None,
                 deprecated: Optional[bool] = None, accept: Optional[str] = None) -> None:
        self.default = default
        self.description = description
        self.ge = ge
        self.le = le
        self.min_length = min_length
        self.max_length = max_length
        self.regex = regex
        self.choices = choices
        self.deprecated = deprecated
        self.accept = accept

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    def __repr__(self) -> str:
        shown = {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) not in (None, _MISSING)}
        return f"Input({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def Input(default: Any = _MISSING, *, description: Optional[str] = None, ge: Optional[float] = None,  # noqa: N802
          le: Optional[float] = None, min_length: Optional[int] = None, max_length: Optional[int] = None,
          regex: Optional[str] = None, choices: Optional[List[Union[str, int]]] = None,
          deprecated: Optional[bool] = None, accept: Optional[str] = None, **unknown: Any) -> Any:
    """Describes an input: ``text: str = Input(description="…", default="hi")``."""
    if "default_factory" in unknown:
        raise TypeError("Input(default_factory=…) is not supported: write a literal default")
    if unknown:
        raise TypeError(f"unknown Input option(s): {', '.join(sorted(unknown))}")
    return FieldInfo(default, description, ge, le, min_length, max_length, regex, choices, deprecated, accept)


def streaming(fn: Any) -> Any:
    """``@cog.streaming``: the method's iterator output may be streamed (x-cog-streaming)."""
    fn.__cog_streaming__ = True
    return fn


def concurrent(fn: Any = None, *, max: int = 1) -> Any:  # noqa: A002 - Cog's spelling
    """``@cog.concurrent(max=N)``: how many predictions an async predict() may run at once (cog.yaml's
    concurrency.max wins; cogts reads cog.yaml)."""
    def mark(inner: Any) -> Any:
        inner.__cog_concurrency__ = max
        return inner
    return mark(fn) if fn is not None else mark
