"""The service: the HTTP API and the website over the store, and the workers that run its
queued episodes.

- `app`: `create_app`, the FastAPI app with everything mounted, and `served_app`, the same
  configured from the environment in each of `wwabench serve`'s processes
- `api`, `legacy`: the routes under `/api` and those of the v1.0.0 API under `/v1/benchmark/`
- `schemas`: request and response bodies; `jsonsafe`: strict JSON, secrets redacted
- `submissions`: what the routes do, apart from HTTP; `anonymous`: the tier of
  submissions without a key; `middleware`: the HTTP plumbing; `httpserver`: uvicorn,
  its own errors as JSON
- `pagecache`: the board routes' answers, kept until the board changes
- `website`: the HTML pages
- `worker`, `credentials`: the continuous runner and whose keys its model calls carry
- `crypto`, `urls`: provider keys at rest, base URLs a worker may connect to
(secrets are taken out of text by `wwabench.redaction`, which the episode uses too)
"""
