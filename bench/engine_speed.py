"""Tokens per second of the in-process engine: prompt processing and generation.

    python bench/engine_speed.py MODEL.gguf [--threads 1 2] [--repeats 5] [--busy]

Each repeat loads nothing new: the model is loaded once per thread count, then a fixed
600-token prompt is evaluated from an empty cache and 128 tokens are generated greedily
(forced to 128: end-of-text does not stop it, so every repeat does the same work).
Thread counts alternate within each repeat, so machine noise hits them alike; the
medians are printed. With --busy, a CPU-bound process runs beside the engine for the
whole measurement (one core's worth of other work, as on a shared machine).

Run it with different interpreters (virtual environments holding different builds of
llama-cpp-python) to compare builds; it prints the build's own system info.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from typing import Any

PROMPT_TOKENS = 600
GEN_TOKENS = 128


def _spin() -> None:
    while True:
        pass


def measure(llm: Any, prompt: list[int]) -> tuple[float, float]:
    llm.reset()
    llm._ctx.kv_cache_clear()
    t0 = time.perf_counter()
    llm.eval(prompt)
    t1 = time.perf_counter()
    for _ in range(GEN_TOKENS):
        token = llm.sample(temp=0.0)
        llm.eval([token])
    t2 = time.perf_counter()
    return len(prompt) / (t1 - t0), GEN_TOKENS / (t2 - t1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", action="store_true")
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode().strip()
    text = " ".join(f"line {i}: the quick brown fox jumps over the lazy dog." for i in range(400))
    models = {}
    for n in args.threads:
        llm = llama_cpp.Llama(
            model_path=args.model, n_ctx=2048, n_threads=n, n_threads_batch=n, verbose=False
        )
        models[n] = llm
    prompt = models[args.threads[0]].tokenize(text.encode())[:PROMPT_TOKENS]
    busy = None
    if args.busy:
        busy = multiprocessing.Process(target=_spin, daemon=True)
        busy.start()
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in args.threads}
    try:
        for n in args.threads:  # one warm-up each
            measure(models[n], prompt)
        for _ in range(args.repeats):
            for n in args.threads:
                results[n].append(measure(models[n], prompt))
    finally:
        if busy is not None:
            busy.terminate()
    for n, rs in results.items():
        print(
            json.dumps(
                {
                    "label": args.label,
                    "llama_cpp": llama_cpp.__version__,
                    "threads": n,
                    "busy": args.busy,
                    "prompt_tok_s": round(statistics.median(r[0] for r in rs), 1),
                    "gen_tok_s": round(statistics.median(r[1] for r in rs), 2),
                    "repeats": len(rs),
                    "system_info": info,
                }
            )
        )


if __name__ == "__main__":
    main()
