"""Unit tests of the worker's parts that need no server: output serialisation, the wire format, inputs."""
import asyncio
import dataclasses
import enum
import hashlib
import json
import os
import tempfile
import unittest
from typing import Optional

from cog import BaseModel, File, Input, Path, Secret
from cog import _protocol
from cog._output import OutputFiles, is_iterator, serialize


class SerializeTest(unittest.TestCase):
    def test_plain_values(self) -> None:
        self.assertEqual(serialize({"a": [1, 2.5, True, None, "x"]}, None), {"a": [1, 2.5, True, None, "x"]})
        self.assertIsNone(serialize(float("nan"), None))
        self.assertIsNone(serialize(float("inf"), None))
        self.assertEqual(serialize((1, 2), None), [1, 2])
        self.assertEqual(serialize(Secret("pw"), None), "**********")

        class Color(enum.Enum):
            RED = "red"

        self.assertEqual(serialize(Color.RED, None), "red")

    def test_models_and_dataclasses(self) -> None:
        class Out(BaseModel):
            text: str
            note: Optional[str] = None

        @dataclasses.dataclass
        class Point:
            x: int

        # Cog's wire format: a field left at its default without being given is left out; a given one stays.
        self.assertEqual(serialize(Out(text="t"), None), {"text": "t"})
        self.assertEqual(serialize(Out(text="t", note=None), None), {"text": "t", "note": None})
        self.assertEqual(serialize(Out("t", "n"), None), {"text": "t", "note": "n"})
        later = Out(text="t")
        later.note = "set later"
        self.assertEqual(serialize(later, None), {"text": "t", "note": "set later"})
        self.assertEqual(serialize([Point(1)], None), [{"x": 1}])

    def test_unknown_objects_are_refused_with_the_type(self) -> None:
        with self.assertRaisesRegex(TypeError, "object"):
            serialize(object(), None)

    def test_files_go_out_of_band_with_their_place(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "out.txt")
            with open(source, "w") as f:
                f.write("data")
            files = OutputFiles(os.path.join(tmp, "pred"))
            value = serialize({"images": [Path(source), "x"], "one": Path(source)}, files)
            self.assertEqual(value, {"images": [None, "x"], "one": None})
            slots = files.take()
            self.assertEqual(slots, [{"at": ["images", 0], "name": "0/out.txt"}, {"at": ["one"], "name": "1/out.txt"}])
            with open(os.path.join(tmp, "pred", "0", "out.txt")) as f:
                self.assertEqual(f.read(), "data")
            self.assertIsNone(files.take())

    def test_a_directory_is_not_a_file_output(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(ValueError, "not a regular file"):
                serialize(Path(tmp), OutputFiles(os.path.join(tmp, "pred")))

    def test_iterators(self) -> None:
        def gen():
            yield 1

        async def agen():
            yield 1

        self.assertTrue(is_iterator(gen()))
        self.assertTrue(is_iterator(agen()))
        self.assertTrue(is_iterator(iter([1])))
        for value in ["s", [1], {"a": 1}, (1,), b"x"]:
            self.assertFalse(is_iterator(value), value)
        with tempfile.TemporaryFile() as f:
            self.assertFalse(is_iterator(f))


class ProtocolTest(unittest.TestCase):
    def test_output_dir_name_matches_the_server(self) -> None:
        self.assertEqual(_protocol.output_dir_name("p1"), hashlib.sha256(b"p1").hexdigest()[:32])

    def test_encode_is_one_compact_json_line(self) -> None:
        line = _protocol.encode({"type": "log", "data": "é\n"})
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(json.loads(line), {"type": "log", "data": "é\n"})

    def test_done_messages(self) -> None:
        self.assertEqual(_protocol.done("p", "succeeded", None, None, None, False),
                         {"type": "done", "id": "p", "status": "succeeded", "iterator": False, "output": None})
        self.assertEqual(_protocol.done("p", "succeeded", None, None, None, True),
                         {"type": "done", "id": "p", "status": "succeeded", "iterator": True})
        failed = _protocol.done("p", "failed", "boom", "ignored", [{"at": [], "name": "0/x"}], False)
        self.assertEqual(failed, {"type": "done", "id": "p", "status": "failed", "iterator": False, "error": "boom"})


class ParametersTest(unittest.TestCase):
    def setUp(self) -> None:
        from cog import _inputs
        plans = [
            {"name": "image", "kind": "path", "array": False, "nullWhenMissing": False},
            {"name": "images", "kind": "path", "array": True, "nullWhenMissing": False},
            {"name": "doc", "kind": "path", "array": False, "nullWhenMissing": True},
            {"name": "token", "kind": "secret", "array": False, "nullWhenMissing": False},
        ]
        self.Parameters = lambda method: _inputs.Parameters(method, plans)

    def test_wraps_and_fills_defaults(self) -> None:
        def predict(image: Path, images: list = Input(default=[]), doc: Optional[File] = None,
                    token: Secret = Input(default=None), steps: int = Input(default=4), plain: str = "p") -> None: ...

        with tempfile.NamedTemporaryFile() as f:
            args = self.Parameters(predict).arguments({"image": f.name, "images": [f.name], "doc": f.name, "token": "t"})
            self.assertIsInstance(args["image"], Path)
            self.assertIsInstance(args["images"][0], Path)
            self.assertTrue(hasattr(args["doc"], "read"))
            args["doc"].close()
            self.assertEqual(args["token"].get_secret_value(), "t")
            self.assertEqual(args["steps"], 4)
            self.assertNotIn("plain", args)  # Python's own default applies

        args = self.Parameters(predict).arguments({"image": "/x"})
        self.assertIsNone(args["doc"])
        self.assertIsNone(args["token"])
        self.assertEqual(args["images"], [])

    def test_integers_for_float_inputs_arrive_as_floats(self) -> None:
        def predict(seconds: float, maybe: Optional[float] = None, many: list[float] = Input(default=[]),
                    count: int = 1, either: "int | float" = 0, flag: bool = False) -> None: ...

        args = self.Parameters(predict).arguments({"seconds": 1, "maybe": 2, "many": [1, 2.5], "count": 3, "either": 4, "flag": True})
        self.assertEqual([type(args[k]) for k in ["seconds", "maybe", "count", "either", "flag"]], [float, float, int, int, bool])
        self.assertEqual(args["many"], [1.0, 2.5])
        self.assertIsInstance(args["many"][0], float)
        self.assertEqual(f"{args['seconds']}s", "1.0s")

    def test_union_inputs_keep_integers_as_they_came(self) -> None:
        # Cog 0.21+'s JSON-native unions: the value of a union input is passed through unchanged.
        def predict(value: "str | float | None" = None, flipped: "float | str" = 0.0, nums: "list[int] | list[float]" = Input(default=[])) -> None: ...

        args = self.Parameters(predict).arguments({"value": 1, "flipped": 2, "nums": [3]})
        self.assertEqual([type(args["value"]), type(args["flipped"]), type(args["nums"][0])], [int, int, int])
        args = self.Parameters(predict).arguments({"value": 1.5, "flipped": "x"})
        self.assertEqual([args["value"], args["flipped"]], [1.5, "x"])

    def test_mutable_defaults_are_copied_per_prediction(self) -> None:
        def predict(tags: list = Input(default=["a"])) -> None: ...

        params = self.Parameters(predict)
        first = params.arguments({})
        first["tags"].append("b")
        self.assertEqual(params.arguments({})["tags"], ["a"])


if __name__ == "__main__":
    unittest.main()
