"""In-process GGUF models on the CPU through llama-cpp-python: `gguf:<path>`, or
`local/<name>` for a model of the registry (fetched on first use)."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from wwabench.models import ContextExhausted, Message, ModelParams, Turn, UnknownModel
from wwabench.models.chat import turn_from_openai
from wwabench.models.openai_compat import request
from wwabench.models.registry import MODELS, model_path, pull
from wwabench.tasks import Variant

CONTEXT_TOKENS = 8192


class LlamaProvider:
    def __init__(self, spec: str, path: Path, params: ModelParams) -> None:
        self.spec = spec
        self.path = path
        self.params = params
        self._llm: Any = None
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

    def load(self) -> None:
        if self._llm is not None:
            return
        if not self.path.exists():
            name = self.spec.removeprefix("local/")
            pull(MODELS[name])
        from llama_cpp import Llama

        self._llm = Llama(
            model_path=str(self.path),
            n_ctx=CONTEXT_TOKENS,
            n_threads=os.cpu_count() or 2,
            seed=self.params.seed,
            verbose=False,
        )

    def session(self, variant: Variant) -> LlamaProvider:
        return self

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        kwargs = request(messages, tools, self.params)
        with self._lock:
            self.load()
            try:
                response = self._llm.create_chat_completion(**kwargs)
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextExhausted(str(exc)) from exc
                raise
        return turn_from_openai(response)
