"""The JSON API under /api: submissions (with a submission key), models' owners' changes,
results, comparisons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response, Security
from fastapi import Path as PathParam
from fastapi.security import APIKeyHeader

from wwabench.service.schemas import (
    ComparisonOut,
    Leaderboard,
    ModelRuns,
    ModelUpdate,
    Submission,
    SubmissionCreated,
    SubmissionStatus,
    error_responses,
)
from wwabench.service.submissions import API_KEY_HEADER, SubmissionService
from wwabench.store import ApiKey

_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="A submission key: wwa_ followed by 32 hex digits.",
)


def _authenticated(request: Request, plain: Annotated[str | None, Security(_api_key)]) -> ApiKey:
    service: SubmissionService = request.app.state.service
    return service.authenticate(plain)


def _key_or_anonymous(
    request: Request, plain: Annotated[str | None, Security(_api_key)]
) -> ApiKey | None:
    service: SubmissionService = request.app.state.service
    return service.key_or_anonymous(plain)


Authenticated = Annotated[ApiKey, Security(_authenticated)]
# The key if one is sent; without one, the anonymous tier (when the service opens it).
KeyOrAnonymous = Annotated[ApiKey | None, Security(_key_or_anonymous)]
RunId = Annotated[str, PathParam(max_length=64, description="A run id.")]
Spec = Annotated[str, PathParam(max_length=300, description="A model spec.")]
# Every creation answers 201 with the new resource's address.
CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            "Location": {
                "description": "The submission's status: GET it to follow the run.",
                "schema": {"type": "string"},
            }
        }
    }
}


def add_api_routes(app: FastAPI, service: SubmissionService) -> None:

    @app.post(
        "/api/submissions",
        status_code=201,
        tags=["submissions"],
        response_model=SubmissionCreated,
        responses={**CREATED, **error_responses(400, 401, 403, 409, 413, 422, 429)},
    )
    def submit(
        body: Submission,
        key: Authenticated,
        response: Response,
    ) -> SubmissionCreated:
        """Queue a run of a model over the current suite (trials x rounds episodes).

        The first submission of a model spec registers it to this key's account; other
        keys are refused (403) from then on, and a display_name or metadata sent by the
        owner replaces the model's (409 if the name reads as another model's).
        """
        created = service.submit(key, body, body.model)
        response.headers["Location"] = created.links["self"]
        return created

    @app.get(
        "/api/submissions/{run_id}",
        tags=["submissions"],
        response_model=SubmissionStatus,
        responses=error_responses(404, 422),
    )
    def submission(run_id: RunId) -> SubmissionStatus:
        """A run's status, progress and score so far."""
        return service.status(run_id)

    @app.get(
        "/api/leaderboard",
        tags=["results"],
        response_model=Leaderboard,
        responses=error_responses(422),
    )
    def leaderboard(
        suite_version: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Leaderboard:
        """The latest finished run of each model, best first, with 95% intervals."""
        return service.leaderboard(suite_version)

    @app.get(
        "/api/models/{spec:path}",
        tags=["results"],
        response_model=ModelRuns,
        responses=error_responses(404, 422),
    )
    def model(spec: Spec) -> ModelRuns:
        """A model's owner, runs and latest finished result."""
        return service.model(spec)

    @app.patch(
        "/api/models/{spec:path}",
        tags=["submissions"],
        response_model=ModelRuns,
        responses=error_responses(400, 401, 403, 404, 409, 413, 422),
    )
    def update_model(spec: Spec, body: ModelUpdate, key: Authenticated) -> ModelRuns:
        """The model's owner changes its display name or its metadata (replaced whole)."""
        return service.update_model(key, spec, body)

    @app.get("/api/runs/{run_id}", tags=["results"], responses=error_responses(404, 422))
    def run(run_id: RunId) -> dict[str, Any]:
        """A run's results.json: metadata, statistics and every episode with its checks."""
        return service.run_json(service.run(run_id))

    @app.get(
        "/api/runs/{run_id}/transcripts/{task}/{seed}",
        tags=["results"],
        responses=error_responses(404, 422),
    )
    def transcript(
        run_id: RunId,
        task: Annotated[str, PathParam(max_length=100, pattern=r"^[A-Za-z0-9._-]+$")],
        seed: Annotated[int, PathParam(ge=0, le=2**31 - 1)],
    ) -> dict[str, Any]:
        """Every event of one episode, in order."""
        return service.transcript(run_id, task, seed)

    @app.get(
        "/api/compare",
        tags=["results"],
        response_model=ComparisonOut,
        responses=error_responses(404, 409, 422),
    )
    def compare(
        a: Annotated[str, Query(min_length=1, max_length=300, description="Run id or model.")],
        b: Annotated[str, Query(min_length=1, max_length=300)],
    ) -> ComparisonOut:
        """Paired comparison of two runs (a model spec means its latest finished run)."""
        return service.compare(service.find(a), service.find(b))
