"""Unit tests of cogts's Python SDK (runtime/python/cog): the public API a predictor imports."""
import asyncio
import dataclasses
import io
import pathlib
import unittest
from typing import Optional


class PublicApiTest(unittest.TestCase):
    def test_top_level_names(self) -> None:
        import cog
        for name in ["BasePredictor", "BaseRunner", "Input", "Path", "File", "Secret", "ConcatenateIterator",
                     "AsyncConcatenateIterator", "BaseModel", "current_scope", "emit_metric", "CancelationException",
                     "streaming", "concurrent", "Opaque"]:
            self.assertTrue(hasattr(cog, name), name)

    def test_cog_types_import_paths(self) -> None:
        from cog.types import AsyncConcatenateIterator, ConcatenateIterator, File, Path, Secret, URLPath  # noqa: F401
        import cog
        self.assertIs(Path, cog.Path)
        self.assertIs(Secret, cog.Secret)

    def test_path_is_a_pathlib_path(self) -> None:
        from cog import Path
        p = Path("/tmp/x.txt")
        self.assertIsInstance(p, pathlib.Path)
        self.assertEqual(p.name, "x.txt")
        self.assertEqual((p.parent / "y").as_posix(), "/tmp/y")

    def test_file_is_an_io_type(self) -> None:
        from cog import File
        self.assertTrue(issubclass(File, io.IOBase))

    def test_cancelation_is_not_an_exception(self) -> None:
        from cog import CancelationException
        self.assertTrue(issubclass(CancelationException, BaseException))
        self.assertFalse(issubclass(CancelationException, Exception))


class InputTest(unittest.TestCase):
    def test_options_and_default(self) -> None:
        from cog import Input
        field = Input(default=3, description="d", ge=1, le=5, choices=[1, 3])
        self.assertTrue(field.has_default)
        self.assertEqual((field.default, field.description, field.ge, field.le, field.choices), (3, "d", 1, 5, [1, 3]))
        self.assertFalse(Input(description="required").has_default)
        self.assertTrue(Input(default=None).has_default)

    def test_rejects_unknown_options_and_default_factory(self) -> None:
        from cog import Input
        with self.assertRaisesRegex(TypeError, "min_lenght"):
            Input(min_lenght=2)
        with self.assertRaisesRegex(TypeError, "default_factory"):
            Input(default_factory=list)


class SecretTest(unittest.TestCase):
    def test_masks_when_printed(self) -> None:
        from cog import Secret
        secret = Secret("hunter2")
        self.assertEqual(secret.get_secret_value(), "hunter2")
        self.assertNotIn("hunter2", str(secret))
        self.assertNotIn("hunter2", repr(secret))
        self.assertNotIn("hunter2", f"{secret} {[secret]}")
        self.assertEqual(Secret("a"), Secret("a"))
        self.assertEqual(str(Secret()), "")


class BaseModelTest(unittest.TestCase):
    def test_fields_defaults_and_dict(self) -> None:
        from cog import BaseModel, Path

        class Output(BaseModel):
            text: str
            file: Optional[Path] = None
            score: float = 0.5

        out = Output(text="hi")
        self.assertTrue(dataclasses.is_dataclass(out))
        self.assertEqual(out.dict(), {"text": "hi", "file": None, "score": 0.5})
        self.assertEqual(Output(text="a", score=1.0).model_dump()["score"], 1.0)
        with self.assertRaises(TypeError):
            Output()  # type: ignore[call-arg]

    def test_inherits_fields(self) -> None:
        from cog import BaseModel

        class Base(BaseModel):
            a: int

        class Child(Base):
            b: str = "x"

        self.assertEqual(Child(a=1).dict(), {"a": 1, "b": "x"})


class PredictorTest(unittest.TestCase):
    def test_base_runner_predict_calls_run(self) -> None:
        from cog import BaseRunner

        class Runner(BaseRunner):
            def run(self, text: str) -> str:
                return text * 2

        self.assertEqual(Runner().predict(text="ab"), "abab")

    def test_setup_default_is_a_no_op_and_predict_must_be_defined(self) -> None:
        from cog import BasePredictor
        predictor = BasePredictor()
        self.assertIsNone(predictor.setup())
        with self.assertRaises(NotImplementedError):
            predictor.predict()

    def test_decorators_mark_the_method(self) -> None:
        import cog

        @cog.streaming
        def a() -> None: ...

        @cog.concurrent(max=4)
        async def b() -> None: ...

        self.assertTrue(a.__cog_streaming__)
        self.assertEqual(b.__cog_concurrency__, 4)


class ScopeTest(unittest.TestCase):
    def test_outside_a_prediction_metrics_go_nowhere(self) -> None:
        from cog import current_scope, emit_metric
        self.assertEqual(current_scope().context, {})
        current_scope().record_metric("tokens", 1)
        emit_metric("tokens", 2)

    def test_inside_a_scope_metrics_are_sent_with_cogs_mode_names(self) -> None:
        from cog import current_scope, emit_metric
        from cog.scope import Scope, _current, set_scope
        sent = []
        token = set_scope(Scope("p1", {"k": "v"}, lambda *args: sent.append(args)))
        try:
            self.assertEqual(current_scope().context, {"k": "v"})
            current_scope().record_metric("tokens", 1, "incr")
            emit_metric("label", "x")
            with self.assertRaisesRegex(ValueError, "mode"):
                current_scope().record_metric("a", 1, "sum")
        finally:
            _current.reset(token)
        self.assertEqual(sent, [("tokens", 1, "increment"), ("label", "x", "replace")])

    def test_metric_names_follow_cogs_rules(self) -> None:
        from cog.scope import check_metric_name
        for good in ["tokens", "a.b.c.d", "gpu_seconds", "x1"]:
            check_metric_name(good)
        for bad in ["", "predict_time", "cog.x", ".a", "a.", "a..b", "a.b.c.d.e", "1a", "a-b", "a__b", "a_", "x" * 129]:
            with self.assertRaises(ValueError, msg=bad):
                check_metric_name(bad)

    def test_each_task_has_its_own_scope(self) -> None:
        from cog import current_scope
        from cog.scope import Scope, set_scope

        async def one(name: str) -> str:
            set_scope(Scope(name, {"name": name}, lambda *a: None))
            await asyncio.sleep(0.01)
            return current_scope().context["name"]

        async def both() -> list:
            return list(await asyncio.gather(one("a"), one("b")))

        self.assertEqual(asyncio.run(both()), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
