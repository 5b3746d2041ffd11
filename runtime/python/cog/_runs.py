"""One prediction in the Python worker: predict() called with its arguments, its output (or each item of an
iterator) encoded and sent to the server, its end (succeeded, failed, canceled) reported with the files it wrote.
Synchronous predictions run on the main thread, async ones as tasks of the worker's event loop (_worker.py)."""
import inspect
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import _protocol
from ._common import error_text, flush, log_stack, options, send
from ._inputs import Parameters, read_input
from ._output import OutputFiles, is_iterator, serialize
from .exceptions import CancelationException
from .scope import Scope, _current, set_scope

if TYPE_CHECKING:
    import asyncio


class Running:
    def __init__(self, prediction_id: str) -> None:
        self.id = prediction_id
        self.canceled = False
        self.iterator = False
        self.in_predict = False
        self.task: "Optional[asyncio.Task]" = None  # type: ignore[type-arg]
        self.files: Optional[OutputFiles] = None

    def output_files(self) -> OutputFiles:
        if self.files is None:
            self.files = OutputFiles(os.path.join(options["outputDir"], _protocol.output_dir_name(self.id)))
        return self.files


running: Dict[str, Running] = {}


def metric_sender(prediction_id: str) -> Callable[[str, Any, str], None]:
    def send_metric(name: str, value: Any, mode: str) -> None:
        send({"type": "metric", "id": prediction_id, "name": name, "value": serialize(value, None), "mode": mode})
    return send_metric


def finish(run: Running, status: str, error: Optional[str] = None, output: Any = None) -> None:
    running.pop(run.id, None)
    flush()
    files = run.files.take() if run.files else None
    if run.files and status != "succeeded":
        import shutil
        shutil.rmtree(run.files.dir, ignore_errors=True)
    send(_protocol.done(run.id, status, error, output, files, run.iterator))


def send_chunk(run: Running, chunk: Any) -> None:
    files = run.output_files() if not isinstance(chunk, (str, int, float, bool, type(None))) else None
    value = serialize(chunk, files)
    message: Dict[str, Any] = {"type": "output", "id": run.id, "value": value, "chunk": True}
    slots = files.take() if files else None
    if slots:
        message["files"] = slots
    send(message)


def returned(run: Running, result: Any) -> Any:
    return serialize(result, run.output_files() if not isinstance(result, (str, int, float, bool, type(None))) else None)


def predict_sync(method: Callable[..., Any], parameters: Parameters, message: Dict[str, Any]) -> None:
    run = Running(message["id"])
    running[run.id] = run
    token = set_scope(Scope(run.id, message.get("context") or {}, metric_sender(run.id)))
    try:
        run.in_predict = True
        result = method(**parameters.arguments(read_input(message)))
        if is_iterator(result):
            run.iterator = True
            for chunk in result:
                send_chunk(run, chunk)
                if run.canceled:
                    break
            output = None
        else:
            output = returned(run, result)
        run.in_predict = False
        finish(run, "canceled" if run.canceled else "succeeded", None, output)
    except CancelationException:
        run.in_predict = False
        finish(run, "canceled")
    except Exception as error:  # noqa: BLE001 - any failure of the model fails its prediction
        run.in_predict = False
        if run.canceled:
            finish(run, "canceled")
        else:
            log_stack(error)
            finish(run, "failed", error_text(error))
    finally:
        run.in_predict = False
        _current.reset(token)


async def predict_async(method: Callable[..., Any], parameters: Parameters, message: Dict[str, Any], run: Running) -> None:
    import asyncio
    set_scope(Scope(run.id, message.get("context") or {}, metric_sender(run.id)))
    try:
        result = method(**parameters.arguments(read_input(message)))
        if inspect.isawaitable(result):
            result = await result
        if is_iterator(result):
            run.iterator = True
            if hasattr(result, "__anext__"):
                async for chunk in result:
                    send_chunk(run, chunk)
            else:
                for chunk in result:
                    send_chunk(run, chunk)
                    await asyncio.sleep(0)
            output = None
        else:
            output = returned(run, result)
        finish(run, "canceled" if run.canceled else "succeeded", None, output)
    except (asyncio.CancelledError, CancelationException):
        finish(run, "canceled")
    except Exception as error:  # noqa: BLE001
        if run.canceled:
            finish(run, "canceled")
        else:
            log_stack(error)
            finish(run, "failed", error_text(error))


# ---- tagged logs (several predictions at once) ---------------------------------------------------------------

class TaggedStream:
    """sys.stdout/sys.stderr while several predictions share the worker: text written inside a prediction's scope
    goes to the server tagged with it; other text goes to the real stream."""

    def __init__(self, stream: Any, source: str) -> None:
        self._stream = stream
        self._source = source

    def write(self, text: str) -> int:
        scope = _current.get()
        if scope is None or scope.id not in running:
            return self._stream.write(text)
        for at in range(0, len(text), 1 << 20):
            send({"type": "log", "id": scope.id, "source": self._source, "data": text[at:at + (1 << 20)]})
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
