"""The routes of the earlier published API (v1.0.0), under /v1/benchmark/."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Request, Response

from wwabench.service.api import CREATED, KeyOrAnonymous
from wwabench.service.schemas import (
    ComparisonOut,
    LegacyCompare,
    LegacyResults,
    LegacySubmission,
    SubmissionCreated,
    error_responses,
)
from wwabench.service.submissions import SubmissionService, not_found


def add_legacy_routes(app: FastAPI, service: SubmissionService) -> None:
    """The v1.0.0 operations: POST, every field optional, `{}` (or no body) valid."""

    @app.post(
        "/v1/benchmark/run-benchmark",
        tags=["legacy"],
        status_code=201,
        response_model=SubmissionCreated,
        responses={**CREATED, **error_responses(400, 401, 403, 409, 413, 422, 429)},
        # The key is optional here: the published client sends none (the anonymous tier).
        openapi_extra={"security": [{}]},
    )
    def run_benchmark(
        request: Request,
        response: Response,
        key: KeyOrAnonymous,
        body: Annotated[LegacySubmission | None, Body()] = None,
    ) -> SubmissionCreated:
        """Submit a model (default: the bundled local/qwen2.5-coder-0.5b).

        With an `X-API-Key`, as /api/submissions. Without one, on the anonymous tier: a few
        submissions an hour and a few queued episodes per address, queued behind keyed
        work, never paid for by the operator, and no display_name or metadata.
        """
        body = body or LegacySubmission()
        host = request.client.host if request.client is not None else ""
        created = service.submit(key, body, body.model, host)
        response.headers["Location"] = created.links["self"]
        return created

    @app.post(
        "/v1/benchmark/get-results", tags=["legacy"], responses=error_responses(400, 404, 413, 422)
    )
    def get_results(body: Annotated[LegacyResults | None, Body()] = None) -> dict[str, Any]:
        """`{}`: the leaderboard; `run_id` or `model`: that run's results."""
        body = body or LegacyResults()
        if body.run_id is not None and body.model is not None:
            raise HTTPException(422, "give run_id or model, not both")
        if body.run_id is not None:
            return service.run_json(service.run(body.run_id))
        if body.model is not None:
            latest = service.latest_done(body.model)
            if latest is None:
                raise not_found(f"no finished run of model {body.model!r}")
            return service.run_json(latest)
        return service.leaderboard(body.suite_version).model_dump(mode="json")

    @app.post(
        "/v1/benchmark/compare-models",
        tags=["legacy"],
        response_model=ComparisonOut,
        responses=error_responses(400, 404, 409, 413, 422),
    )
    def compare_models(body: Annotated[LegacyCompare | None, Body()] = None) -> ComparisonOut:
        """`{}`: the top two of the leaderboard; or `model_a` against `model_b`."""
        body = body or LegacyCompare()
        if body.model_a is None and body.model_b is None:
            return service.compare_top_two(body.suite_version)
        if body.model_a is None or body.model_b is None:
            raise HTTPException(422, "give both model_a and model_b, or neither")
        return service.compare(service.find(body.model_a), service.find(body.model_b))
