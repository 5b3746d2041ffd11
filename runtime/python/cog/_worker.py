"""The cogts worker for a Python predictor: ``python3 -m cog._worker``, started by the cogts server (the same
server as for TypeScript predictors, runtime/server/worker-process.ts) with its options in $COGTS_WORKER_OPTIONS
and the message channel on fd 3 (see _protocol.py).

A synchronous predict() runs on the main thread, one at a time; canceling it raises CancelationException inside it
(delivered by SIGUSR1, as Cog does). An async predict() runs as a task on an asyncio loop on the main thread, up to
concurrency.max at once; canceling it cancels the task. The prediction's prints, logging and subprocess output go
to the worker's stdout/stderr, which the server reads as the prediction's logs (unbuffered: PYTHONUNBUFFERED=1);
with several predictions at once, Python-level output is sent tagged with its prediction instead.
"""
import copy
import importlib.util
import inspect
import json
import os
import queue
import signal
import sys
import threading
import traceback
import typing
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from . import _protocol
from ._output import OutputFiles, is_iterator, serialize
from .exceptions import CancelationException
from .scope import Scope, _current, set_scope
from .types import FieldInfo, Path, Secret

if TYPE_CHECKING:
    # asyncio costs a noticeable part of the worker's start: imported only for an async predictor.
    import asyncio

options: Dict[str, Any] = json.loads(os.environ.get("COGTS_WORKER_OPTIONS", "{}"))
channel: Optional[_protocol.Channel] = None


def send(message: Dict[str, Any]) -> None:
    assert channel is not None, "the worker's channel is opened by main()"
    channel.send(message)


def error_text(error: BaseException) -> str:
    return str(error) or type(error).__name__


def log_stack(error: BaseException) -> None:
    if os.environ.get("COGTS_LOG_STACKS") != "0":
        sys.stderr.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))


def flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


# ---- loading -------------------------------------------------------------------------------------------------

def load_module(path: str) -> Any:
    """Imports the predictor file as a top-level module named after it, with the project directory on sys.path
    (so ``from helpers import x`` and packages of the project resolve)."""
    project = os.getcwd()
    if project not in sys.path:
        sys.path.insert(0, project)
    name = os.path.splitext(os.path.relpath(path, project))[0].replace(os.sep, ".")
    if name.startswith(".") or not all(part.isidentifier() for part in name.split(".")):
        name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_method(target: Any, mode: str) -> Callable[..., Any]:
    if not inspect.isclass(target):
        if not callable(target):
            raise TypeError(f"{options['className']} in {options['modulePath']} is neither a class nor a function")
        return target
    instance = target()
    if mode == "train":
        names = ["train"]
    else:
        # Cog 0.22 prefers run() and falls back to predict(); BaseRunner's predict() only forwards to run().
        from .predictor import BasePredictor, BaseRunner
        run = getattr(type(instance), "run", None)
        names = ["run", "predict"] if run is not None and run is not BaseRunner.run else ["predict"]
        del BasePredictor
    for name in names:
        method = getattr(instance, name, None)
        if callable(method):
            globals()["predictor"] = instance
            return method
    raise TypeError(f"{options['className']} has no {'() or '.join(names)}() method")


predictor: Any = None


def run_setup(loop: "Optional[asyncio.AbstractEventLoop]") -> None:
    setup = getattr(predictor, "setup", None)
    if setup is None:
        return
    parameters = inspect.signature(setup).parameters
    weights = os.environ.get("COG_WEIGHTS")
    result = setup(weights=Path(weights) if weights else None) if "weights" in parameters else setup()
    if inspect.isawaitable(result):
        import asyncio
        if loop is None:
            loop = asyncio.new_event_loop()
        loop.run_until_complete(result)


# ---- inputs --------------------------------------------------------------------------------------------------

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

    def __init__(self, method: Callable[..., Any]) -> None:
        self.signature = inspect.signature(method)
        self.plans = {plan["name"]: plan for plan in options.get("parameters", [])}
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


# ---- predictions ---------------------------------------------------------------------------------------------

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


def healthcheck_result(request_id: int, result: Any = None, error: Optional[BaseException] = None) -> None:
    message: Dict[str, Any] = {"type": "healthcheck", "requestId": request_id}
    if error is not None:
        message["error"] = f"user-defined healthcheck failed: {error_text(error)}"
    elif result is False:
        message["error"] = "user-defined healthcheck returned false"
    send(message)


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


# ---- main ----------------------------------------------------------------------------------------------------

def on_close() -> None:
    # The server went away: so does the worker, with every process the model started (its own process group).
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(0)


def main() -> None:
    global channel
    channel = _protocol.Channel(3)
    try:
        module = load_module(options["modulePath"])
        target = getattr(module, options["className"], None)
        if target is None:
            raise AttributeError(f"{options['modulePath']} defines no {options['className']}")
        method = find_method(target, options.get("mode", "predict"))
        is_async = inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
        if options.get("maxConcurrency", 1) > 1 and not is_async:
            raise TypeError("concurrency.max > 1 requires an async predict() (async def predict)")
        loop = None
        if is_async:
            import asyncio
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        run_setup(loop)
        parameters = Parameters(method)
    except BaseException as error:  # noqa: BLE001 - setup failures of any kind are reported
        log_stack(error)
        flush()
        send({"type": "setup_failed", "error": error_text(error)})
        channel.serve(lambda message: None, on_close).join()
        return
    flush()
    healthcheck = getattr(predictor, "healthcheck", None)
    if options.get("tagLogs"):
        sys.stdout = TaggedStream(sys.stdout, "stdout")  # type: ignore[assignment]
        sys.stderr = TaggedStream(sys.stderr, "stderr")  # type: ignore[assignment]

    if loop is None:
        serve_sync(method, parameters, healthcheck)
    else:
        serve_async(loop, method, parameters, healthcheck)


def serve_sync(method: Callable[..., Any], parameters: Parameters, healthcheck: Any) -> None:
    inbox: "queue.SimpleQueue[Optional[Dict[str, Any]]]" = queue.SimpleQueue()

    def on_signal(signum: int, frame: Any) -> None:
        for run in list(running.values()):
            if run.canceled and run.in_predict:
                run.in_predict = False
                raise CancelationException()

    signal.signal(signal.SIGUSR1, on_signal)

    def on_message(message: Dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "predict":
            inbox.put(message)
        elif kind == "cancel":
            run = running.get(message["id"])
            if run is not None and not run.canceled:
                run.canceled = True
                os.kill(os.getpid(), signal.SIGUSR1)
        elif kind == "healthcheck":
            threading.Thread(target=check_health, args=(healthcheck, message["requestId"], None), daemon=True).start()

    channel.serve(on_message, lambda: (inbox.put(None), on_close()))
    send({"type": "ready", "hasHealthcheck": callable(healthcheck)})
    while True:
        message = inbox.get()
        if message is None:
            return
        try:
            predict_sync(method, parameters, message)
        except CancelationException:
            # A cancel signal that landed after the prediction ended: nothing left to stop.
            pass


def check_health(healthcheck: Any, request_id: int, loop: "Optional[asyncio.AbstractEventLoop]") -> None:
    try:
        result = healthcheck()
        if inspect.isawaitable(result):
            import asyncio
            result = asyncio.run(result) if loop is None else asyncio.run_coroutine_threadsafe(result, loop).result(30)
        healthcheck_result(request_id, result)
    except Exception as error:  # noqa: BLE001
        healthcheck_result(request_id, None, error)


def serve_async(loop: "asyncio.AbstractEventLoop", method: Callable[..., Any], parameters: Parameters, healthcheck: Any) -> None:
    def start(message: Dict[str, Any]) -> None:
        run = Running(message["id"])
        running[run.id] = run
        run.task = loop.create_task(predict_async(method, parameters, message, run))

    def cancel(prediction_id: str) -> None:
        run = running.get(prediction_id)
        if run is not None and not run.canceled:
            run.canceled = True
            if run.task is not None:
                run.task.cancel()

    def on_message(message: Dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "predict":
            loop.call_soon_threadsafe(start, message)
        elif kind == "cancel":
            loop.call_soon_threadsafe(cancel, message["id"])
        elif kind == "healthcheck":
            threading.Thread(target=check_health, args=(healthcheck, message["requestId"], loop), daemon=True).start()

    channel.serve(on_message, on_close)
    send({"type": "ready", "hasHealthcheck": callable(healthcheck)})
    loop.run_forever()


if __name__ == "__main__":
    main()
