"""In-process GGUF models on the CPU through llama-cpp-python: `gguf:<path>`, or
`local/<name>` for a model of the registry (fetched on first use).

"In process" means on this machine, without a server: the engine itself runs in a
child process (models/engine.py), so that a native crash is reported, not fatal.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from wwabench.config import data_dir
from wwabench.models import Message, ModelParams, Turn, UnknownModel
from wwabench.models.chat import turn_from_openai
from wwabench.models.engine import Engine, EngineInfo, EngineSettings
from wwabench.models.openai_compat import request
from wwabench.models.registry import MODELS, model_path, pull
from wwabench.tasks import Variant

CONTEXT_TOKENS = 8192


def default_threads() -> int:
    """One thread per core but one, at least one (docs/models.md, "Threads").

    llama.cpp's threads wait for each other at every layer: when one of them shares its
    core with other work (the harness, the checks, a second job), all of them wait.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 2) - 1)


class LlamaProvider:
    def __init__(self, spec: str, path: Path, params: ModelParams) -> None:
        self.spec = spec
        self.path = path
        if params.threads is None:
            params = replace(params, threads=default_threads())
        self.params = params
        self.engine = Engine(
            EngineSettings(
                path=str(path),
                n_ctx=CONTEXT_TOKENS,
                threads=params.threads or 1,
                seed=params.seed,
                extra_buffers=os.environ.get("WWABENCH_EXTRA_BUFFERS", "auto"),
            ),
            log_dir=data_dir() / "logs",
        )
        # One model, many episodes: generations take turns (the CPU is the limit anyway).
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, params: ModelParams) -> LlamaProvider:
        if spec.startswith("gguf:"):
            path = Path(spec.removeprefix("gguf:")).expanduser()
            if not path.is_file():
                raise UnknownModel(f"{spec}: no such GGUF file")
            return cls(spec, path, params)
        name = spec.removeprefix("local/")
        model = MODELS.get(name)
        if model is None:
            raise UnknownModel(f"{spec}: unknown local model; known: {', '.join(MODELS)}")
        if params.family is None:
            params = replace(params, family=model.family)
        return cls(spec, model_path(model), params)

    def load(self) -> EngineInfo:
        """Fetch the weights if need be, start the engine and load the model (once)."""
        if not self.path.exists():
            pull(MODELS[self.spec.removeprefix("local/")])
        return self.engine.start()

    def close(self) -> None:
        self.engine.close()

    def session(self, variant: Variant) -> LlamaProvider:
        return self

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        kwargs = request(messages, tools, self.params)
        with self._lock:
            self.load()
            response = self.engine.chat(kwargs)
        return turn_from_openai(response)
