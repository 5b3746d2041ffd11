"""The cogts worker for a Python predictor: ``python3 -m cog._worker``, started by the cogts server (the same
server as for TypeScript predictors, runtime/server/worker-process.ts) with its options in $COGTS_WORKER_OPTIONS
and the message channel on fd 3 (see _protocol.py).

A synchronous predict() runs on the main thread, one at a time; canceling it raises CancelationException inside it
(delivered by SIGUSR1, as Cog does). An async predict() runs as a task on an asyncio loop on the main thread, up to
concurrency.max at once; canceling it cancels the task. The prediction's prints, logging and subprocess output go
to the worker's stdout/stderr, which the server reads as the prediction's logs (unbuffered: PYTHONUNBUFFERED=1);
with several predictions at once, Python-level output is sent tagged with its prediction instead.

This module loads the predictor, runs setup and serves the channel; a prediction's run and output are _runs.py, its
inputs _inputs.py, and what they share (options, channel) _common.py.
"""
import importlib.util
import inspect
import os
import queue
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import _common
from ._common import error_text, flush, log_stack, options, send
from ._inputs import Parameters
from ._runs import Running, TaggedStream, predict_async, predict_sync, running
from .exceptions import CancelationException
from .types import Path

if TYPE_CHECKING:
    # asyncio costs a noticeable part of the worker's start: imported only for an async predictor.
    import asyncio


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


def healthcheck_result(request_id: int, result: Any = None, error: Optional[BaseException] = None) -> None:
    message: Dict[str, Any] = {"type": "healthcheck", "requestId": request_id}
    if error is not None:
        message["error"] = f"user-defined healthcheck failed: {error_text(error)}"
    elif result is False:
        message["error"] = "user-defined healthcheck returned false"
    send(message)


# ---- main ----------------------------------------------------------------------------------------------------

def on_close() -> None:
    # The server went away: so does the worker, with every process the model started (its own process group).
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(0)


def main() -> None:
    channel = _common.open_channel(3)
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
        parameters = Parameters(method, options.get("parameters", []))
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

    assert _common.channel is not None
    _common.channel.serve(on_message, lambda: (inbox.put(None), on_close()))
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

    assert _common.channel is not None
    _common.channel.serve(on_message, on_close)
    send({"type": "ready", "hasHealthcheck": callable(healthcheck)})
    loop.run_forever()


if __name__ == "__main__":
    main()
