"""The service's request and response bodies (pydantic), and what a submission may name."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from wwabench.config import DEFAULT_MODEL, OwnerKind
from wwabench.models import LOCAL_SERVERS
from wwabench.models.registry import MODELS
from wwabench.store.owners import comparable

DEFAULT_SUBMISSION_MODEL = DEFAULT_MODEL
_HOSTED = ("openai", "anthropic", "google", *LOCAL_SERVERS)
_NAME = r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,150}"
MODEL_PATTERN = (
    rf"^(?:(?:{'|'.join(map(re.escape, _HOSTED))})/{_NAME}"
    rf"|local/(?:{'|'.join(map(re.escape, MODELS))}))$"
)
ALLOWED_MODELS = (
    ", ".join(f"{p}/<model>" for p in _HOSTED)
    + ", local/<name> with <name> one of "
    + ", ".join(MODELS)
)
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
# Scripts whose letters pass for one another (Cyrillic and Latin "a", Greek and Latin "O"):
# a name may use one of them.
_LOOKALIKE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")
_BADGES = "\u2713\u2714\u2611\u2705\U0001f5f8\U0001f5f9"  # check marks


# --- request bodies -------------------------------------------------------------------------


def _check_spec(spec: str) -> str:
    if not re.fullmatch(MODEL_PATTERN, spec):
        shown = spec if len(spec) <= 80 else spec[:80] + "..."
        raise ValueError(
            f"model {shown!r} cannot be submitted: use {ALLOWED_MODELS} "
            "(oracle, null, scripted: and gguf: run only from the command line)"
        )
    return spec


def _check_name(name: str | None) -> str | None:
    """A display name must not disguise itself as another model's, or as the operator's
    badge; that it is not another model's name is checked against the store."""
    if name is None:
        return None
    # isprintable() also refuses bidi overrides, zero-width characters and line
    # separators, which would let a name disguise itself on the leaderboard.
    if not name.isprintable():
        raise ValueError("display_name may contain printable characters only")
    if not any(c.isalnum() for c in name):
        raise ValueError("display_name needs a letter or a digit")
    folded = unicodedata.normalize("NFKC", name)
    scripts = {
        script
        for c in folded
        if c.isalpha()
        for script in _LOOKALIKE_SCRIPTS
        if script in unicodedata.name(c, "")
    }
    if len(scripts) > 1:
        raise ValueError(
            "display_name mixes Latin, Greek or Cyrillic letters, whose look-alikes would "
            "let it pass for another name"
        )
    if any(c in _BADGES for c in folded) or "verified" in comparable(name):
        raise ValueError("display_name may not claim verification: that is the operator's badge")
    return name


def _check_notes(notes: str | None) -> str | None:
    if notes is not None and any(not c.isprintable() and c not in "\n\t" for c in notes):
        raise ValueError("notes may not contain control characters")
    return notes


ModelSpec = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=f"The model to run: {ALLOWED_MODELS}.",
        json_schema_extra={"pattern": MODEL_PATTERN},
        examples=["openai/gpt-4o-mini", DEFAULT_SUBMISSION_MODEL],
    ),
    AfterValidator(_check_spec),
]


class ModelMetadata(BaseModel):
    """Facts about the model shown beside its scores (not verified by the service)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    params_billion: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    open_weights: bool | None = None
    hosted: bool | None = None
    notes: Annotated[str | None, AfterValidator(_check_notes)] = Field(
        default=None, max_length=2000
    )


DisplayName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=_NO_CONTROL,
        description="The name the board shows (the owner's to choose: it may not read as "
        "another model's name or spec, mix look-alike scripts or claim verification).",
    ),
    AfterValidator(_check_name),
]


class SubmissionFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    base_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="An OpenAI-compatible server's address (public http or https, no "
        "credentials or query in it).",
    )
    # SecretStr: the key never shows in a repr, a log line or a validation error.
    api_key: SecretStr | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The provider's API key. Write-only: stored encrypted, never returned.",
    )
    display_name: DisplayName | None = None
    metadata: ModelMetadata = Field(default_factory=ModelMetadata)
    trials: int = Field(default=1, ge=1, le=10, description="Trials per round (seeds 0..trials-1).")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    max_tokens: int = Field(default=1024, ge=16, le=32_768, description="Output tokens per turn.")
    tool_mode: Literal["native", "text"] = "native"
    tool_choice: Literal["auto", "required"] = "auto"
    family: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="Tool-call text format to try first.",
    )


class Submission(SubmissionFields):
    model: ModelSpec


class LegacySubmission(SubmissionFields):
    model: ModelSpec = DEFAULT_SUBMISSION_MODEL


class ModelUpdate(BaseModel):
    """What a model's owner may change: its display name, its metadata (replaced whole)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    display_name: DisplayName | None = None
    metadata: ModelMetadata | None = None

    @model_validator(mode="after")
    def _something(self) -> ModelUpdate:
        if self.display_name is None and self.metadata is None:
            raise ValueError("give display_name, metadata or both")
        return self


class LegacyResults(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    run_id: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=200)
    suite_version: str | None = Field(default=None, max_length=64)


class LegacyCompare(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    model_a: str | None = Field(default=None, max_length=200, description="A model spec or run id.")
    model_b: str | None = Field(default=None, max_length=200)
    suite_version: str | None = Field(default=None, max_length=64)


# --- responses ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    detail: str


class Interval(BaseModel):
    """A mean with its SE and 95% t interval; null where undefined (fewer than 2 rounds)."""

    mean: float | None
    se: float | None
    low: float | None
    high: float | None


class Account(BaseModel):
    """Who submitted a run or owns a model: a key's account (by the name the operator gave
    the key), the service's operator, or an anonymous submitter."""

    kind: OwnerKind
    name: str


class Progress(BaseModel):
    done: int
    total: int
    errors: int
    pending: int


class SubmissionCreated(BaseModel):
    id: str
    status: str
    episodes: int
    links: dict[str, str]


class SubmissionStatus(BaseModel):
    id: str
    model: str
    name: str
    status: str
    suite_version: str
    created: str
    finished: str | None
    progress: Progress
    score: Interval
    links: dict[str, str]


class ProtocolOut(BaseModel):
    turns: int
    kinds: dict[str, float]
    clean_episodes: float


class Tokens(BaseModel):
    input: int
    output: int


_ENDPOINT = Field(
    description="Scheme and host (with the port) of the endpoint the run was evaluated "
    "at; null: the provider's own endpoint, or a model run by the service itself."
)
_VERIFIED = Field(description="Whether the service's operator vouched for this run.")


class BoardRow(BaseModel):
    rank: int
    run_id: str
    model: str
    name: str
    submitter: Account
    endpoint: str | None = _ENDPOINT
    verified: bool = _VERIFIED
    meta: dict[str, Any]
    suite_version: str
    created: str
    score: Interval
    correctness: Interval
    efficiency: Interval
    pass1: Interval
    protocol: ProtocolOut
    categories: dict[str, float]
    rounds: int
    trials: int
    episodes: int
    errors: int
    tokens: Tokens
    cost: float | None


class Leaderboard(BaseModel):
    suite_version: str | None
    count: int
    runs: int
    rows: list[BoardRow]
    note: str


class RunBrief(BaseModel):
    run_id: str
    status: str
    submitter: Account
    endpoint: str | None = _ENDPOINT
    verified: bool = _VERIFIED
    suite_version: str
    created: str
    finished: str | None
    trials: int
    progress: Progress
    score: Interval


class ModelRuns(BaseModel):
    model: str
    name: str
    owner: Account
    meta: dict[str, Any]
    runs: list[RunBrief]
    latest: BoardRow | None


class Side(BaseModel):
    run_id: str
    model: str
    name: str
    suite_version: str
    score: Interval


class ComparisonOut(BaseModel):
    """A - B on episodes paired by (round, seed); see wwabench.results.stats.Comparison."""

    a: Side
    b: Side
    same_suite: bool
    diff: float | None
    se: float | None
    low: float | None
    high: float | None
    t: float | None
    p: float | None
    p_signflip: float | None
    signflip_exact: bool
    significant: bool
    correlation: float | None
    mean_a: float | None
    mean_b: float | None
    tasks: int
    trials: int
    pairs: int
    unmatched_a: int
    unmatched_b: int
    df: int
    sigma_d: float | None
    omega: float | None
    mde: float | None


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer (all `{"detail": str}`)."""
    return {code: {"model": ErrorBody} for code in codes}
