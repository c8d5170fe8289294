"""Whose a model is: who may queue its runs and name it, and the operator's word on a run.

A model's row on the board belongs to whoever registered its spec:

- the operator: a model first run from the command line, and every bundled `local/` model
  (the service runs those itself, so no submitter can swap in an endpoint of their own);
- a key's account: the first submission of the spec with an API key;
- an anonymous address: the first anonymous submission of the spec.

Who may queue a run of it (`take`):

- the operator (the command line): any model; the owner stays who it was;
- a bundled `local/` model: anyone, but its name and metadata stay the operator's;
- any other model: its owner only; and a key may claim a model registered anonymously,
  because an address is no account (anonymous rows are marked unverified, and a model's
  builder must not be locked out of their own name by whoever submitted it first).

A model's display name may be changed by its owner only, and may not be another model's
name or spec in any spelling that reads the same (`comparable`). The operator vouches
for single runs (`verify_run`): a new run of a verified model is unverified until the
operator has looked at it as well.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from wwabench.config import OwnerKind, RunStatus
from wwabench.store.base import StoreBase, StoreError, retried_on_conflict
from wwabench.store.records import OPERATOR, ModelInfo, Submitter, account_name, model_info
from wwabench.store.schema import ApiKeyRow, ModelRow, RunRow, _now

BUNDLED = "local/"  # the service's own models: weights it ships, run by its own engine


class NotOwner(StoreError):
    """The model is someone else's: the message says whose, and what can be done."""


class NameTaken(StoreError):
    """Another model already goes by this name (or by a spelling that reads the same)."""


def is_bundled(spec: str) -> bool:
    return spec.startswith(BUNDLED)


def comparable(text: str) -> str:
    """What a name reads as: compatibility forms folded (full-width letters, ligatures),
    case ignored, and only letters and digits kept, so that "GPT-4o", "gpt 4o" and the
    same in full-width letters are one name."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c.isalnum())


def _whose(model: ModelRow) -> str:
    kind = OwnerKind(model.owner_kind)
    if kind == OwnerKind.OPERATOR:
        return f"{model.spec} belongs to this service's operator"
    if kind == OwnerKind.ANONYMOUS:
        return f"{model.spec} was registered anonymously from another address"
    key = model.owner_key
    revoked = key is not None and key.revoked is not None
    note = " (its key is revoked: the operator can transfer the model)" if revoked else ""
    return f"{model.spec} belongs to the account {account_name(kind, key)!r}{note}"


def refusal(model: ModelRow) -> str:
    """Why someone else may not queue a run of `model`, and who may."""
    if OwnerKind(model.owner_kind) == OwnerKind.ANONYMOUS:
        return (
            f"{_whose(model)}: only that address may submit it anonymously; submit it with "
            "an API key to claim it"
        )
    if OwnerKind(model.owner_kind) == OwnerKind.OPERATOR:
        return f"{_whose(model)}: it is run from the operator's command line only"
    return (
        f"{_whose(model)}: only that account's API key may submit runs of it or change its "
        "name (if the model is yours, ask the operator to transfer it)"
    )


def _owns(model: ModelRow, who: Submitter) -> bool:
    return Submitter.owner_of(model) == who


def _set_owner(model: ModelRow, who: Submitter) -> None:
    model.owner_kind = who.kind
    model.owner_key_id = who.key_id
    model.owner_address = who.address


def _check_name(s: Session, name: str, model: ModelRow) -> None:
    wanted = comparable(name)
    for spec, other in s.execute(
        select(ModelRow.spec, ModelRow.name).where(ModelRow.id != model.id)
    ).all():
        if wanted in (comparable(spec), comparable(other)):
            raise NameTaken(
                f"display_name {name!r} reads as the model {spec!r} ({other!r}): a name "
                "must not pass for another model"
            )


def _describe(
    s: Session, model: ModelRow, name: str | None, meta: Mapping[str, Any] | None
) -> bool:
    """Give `model` its owner's name and metadata; whether anything changed."""
    changed = False
    if name is not None and name != model.name:
        _check_name(s, name, model)
        model.name = name
        changed = True
    if meta is not None and dict(meta) != model.meta:
        model.meta = dict(meta)
        changed = True
    return changed


def take(
    s: Session,
    spec: str,
    who: Submitter,
    *,
    admit: bool = True,
    name: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ModelRow:
    """The model row a new run of `spec` by `who` goes under, registered if new, claimed
    or renamed as the rules say (`admit=False`: the operator queues it on `who`'s behalf,
    so nothing is checked and nothing about the model changes). NotOwner or NameTaken
    when refused; the session then holds no change."""
    model = s.scalar(select(ModelRow).where(ModelRow.spec == spec))
    if model is None:
        owner = OPERATOR if is_bundled(spec) or not admit else who
        model = ModelRow(spec=spec, name=spec, meta={})
        _set_owner(model, owner)
        s.add(model)
        s.flush()
        if not admit or not _owns(model, who):
            if name is not None or meta:
                raise NotOwner(_renaming_bundled(spec))
            return model
        _describe(s, model, name, meta or None)
        return model
    if not admit:
        return model
    if who == OPERATOR:
        if _describe(s, model, name, meta or None):
            model.revision += 1
        return model
    if is_bundled(spec):
        if name is not None or meta:
            raise NotOwner(_renaming_bundled(spec))
        return model
    if not _owns(model, who):
        anonymous = OwnerKind(model.owner_kind) == OwnerKind.ANONYMOUS
        if not (anonymous and who.kind == OwnerKind.KEY):
            raise NotOwner(refusal(model))
        _set_owner(model, who)
        model.revision += 1
    if _describe(s, model, name, meta or None):
        model.revision += 1
    return model


def _renaming_bundled(spec: str) -> str:
    return (
        f"{spec} is a bundled model: it belongs to this service's operator, and a "
        "submission may run it but not name it or change its metadata"
    )


class OwnerStore(StoreBase):
    """The store's part that keeps models' owners, names and the operator's verification."""

    def models(self) -> list[ModelInfo]:
        """Every model, oldest first, with its owner."""
        with self.session() as s:
            q = select(ModelRow).options(joinedload(ModelRow.owner_key)).order_by(ModelRow.id)
            return [model_info(m) for m in s.scalars(q)]

    def admit(
        self,
        spec: str,
        who: Submitter,
        name: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """NotOwner or NameTaken if a run of `spec` by `who` (naming it so) would be
        refused now; nothing is changed."""

        def look() -> None:
            with self.session() as s:
                try:
                    take(s, spec, who, name=name, meta=meta)
                finally:
                    s.rollback()

        retried_on_conflict(look)

    def describe_model(
        self,
        spec: str,
        who: Submitter,
        name: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> ModelInfo:
        """The owner (or the operator) renames the model or replaces its metadata."""
        with self.session() as s, s.begin():
            model = s.scalar(
                select(ModelRow)
                .options(joinedload(ModelRow.owner_key))
                .where(ModelRow.spec == spec)
            )
            if model is None:
                raise StoreError(f"no model {spec!r}")
            if who != OPERATOR and not _owns(model, who):
                raise NotOwner(refusal(model))
            if who != OPERATOR and is_bundled(spec):
                raise NotOwner(_renaming_bundled(spec))
            if _describe(s, model, name, meta):
                model.revision += 1
            return model_info(model)

    def transfer_model(self, spec: str, to: Submitter) -> None:
        """Hand a model to another owner (the operator's decision, say for a new key)."""
        with self.session() as s, s.begin():
            model = s.scalar(select(ModelRow).where(ModelRow.spec == spec))
            if model is None:
                raise StoreError(f"no model {spec!r}")
            if to.kind == OwnerKind.KEY and s.get(ApiKeyRow, to.key_id) is None:
                raise StoreError(f"no key {to.key_id}")
            if is_bundled(spec) and to != OPERATOR:
                raise StoreError(_renaming_bundled(spec))
            _set_owner(model, to)
            model.revision += 1

    def verify_run(self, run_id: str, verified: bool = True) -> None:
        """The operator vouches for a finished run (or takes it back)."""
        with self.session() as s, s.begin():
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            if verified and run.status != RunStatus.DONE:
                raise StoreError(f"run {run_id} is {run.status}: only a finished run is verified")
            run.verified = _now() if verified else None
            s.execute(
                update(ModelRow)
                .where(ModelRow.id == run.model_id)
                .values(revision=ModelRow.revision + 1)
            )

    def unverify_model(self, spec: str) -> int:
        """Take the operator's word back from every run of a model; how many had it."""
        with self.session() as s, s.begin():
            model = s.scalar(select(ModelRow).where(ModelRow.spec == spec))
            if model is None:
                raise StoreError(f"no model {spec!r}")
            done = s.execute(
                update(RunRow)
                .where(RunRow.model_id == model.id, RunRow.verified.is_not(None))
                .values(verified=None)
            )
            model.revision += 1
            return int(done.rowcount)  # type: ignore[attr-defined]
