"""The catalog value and how it is loaded: the shipped snapshot, merged with user files.

The shipped snapshot lives in ``data/`` (curated from ``shared/data`` by
``scripts/curate_catalog.py``; every row has ``source`` and ``as_of``); ``host_vms.csv`` holds the
host VMs that accelerators priced on their own are attached to (see ``catalog.hosts``). A user adds private
accelerators, offerings and deals with ``--catalog FILE`` (YAML or CSV); those rows are merged
over the shipped ones: a user offering with the id of a shipped one replaces it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from computebroker.catalog.accelerators import AcceleratorIndex
from computebroker.catalog.schema import AcceleratorRow, ContractTermRow, HostVmRow, OfferingRow
from computebroker.catalog.types import Accelerator, ContractTerm, Deal, HostVm, Offering
from computebroker.errors import InputError
from computebroker.inputs import read_csv_rows, validation_issues

__all__ = [
    "SNAPSHOT_SCHEMA_VERSION",
    "Catalog",
    "load_catalog",
    "load_catalog_texts",
    "shipped_catalog",
]

SNAPSHOT_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """Everything that can be bought: accelerators, offerings, commitment terms and deals."""

    accelerators: AcceleratorIndex
    offerings: tuple[Offering, ...]
    terms: tuple[ContractTerm, ...]
    deals: tuple[Deal, ...] = ()
    sources: tuple[str, ...] = ()
    hosts: tuple[HostVm, ...] = ()  # host VMs of accelerators priced without one

    def accelerator(self, name: str, *, flag: str | None = None) -> Accelerator:
        """Resolve a name or alias (any case) to its accelerator; unknown names raise, naming
        ``flag`` (the command-line flag or argument the name was given as) when given."""
        if flag is None:
            return self.accelerators.resolve(name)
        return self.accelerators.resolve(name, source=flag, field=flag)

    @property
    def clouds(self) -> tuple[str, ...]:
        """Clouds with at least one offering, sorted."""
        return tuple(sorted({o.cloud for o in self.offerings}))

    def merged(
        self,
        *,
        accelerators: Iterable[Accelerator] = (),
        offerings: Iterable[Offering] = (),
        deals: Iterable[Deal] = (),
        source: str = "",
    ) -> Catalog:
        """A new catalog with these rows laid over this one's (same id replaces)."""
        index = AcceleratorIndex.build([*self.accelerators, *accelerators])
        by_id = {o.id: o for o in self.offerings}
        for o in offerings:
            by_id[o.id] = o
        deal_by_id = {d.id: d for d in self.deals}
        for d in deals:
            deal_by_id[d.id] = d
        return Catalog(
            accelerators=index,
            offerings=tuple(by_id.values()),
            terms=self.terms,
            deals=tuple(deal_by_id.values()),
            sources=(*self.sources, source) if source else self.sources,
            hosts=self.hosts,
        )


def _data_text(name: str) -> str:
    return resources.files("computebroker.catalog").joinpath("data", name).read_text("utf-8")


@lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The catalog snapshot shipped with the package (validated on first use, then cached)."""
    manifest = json.loads(_data_text("MANIFEST.json"))
    if manifest.get("schema_version") != SNAPSHOT_SCHEMA_VERSION:
        raise InputError.single(
            "catalog/data/MANIFEST.json",
            f"snapshot schema_version {manifest.get('schema_version')} is not "
            f"{SNAPSHOT_SCHEMA_VERSION}; re-run scripts/curate_catalog.py",
        )
    accelerators = [
        _row(AcceleratorRow, r.values, "accelerators.csv", r.line).to_domain()
        for r in read_csv_rows("accelerators.csv", text=_data_text("accelerators.csv"))[1]
    ]
    index = AcceleratorIndex.build(accelerators)
    offerings: list[Offering] = []
    for r in read_csv_rows("offerings.csv", text=_data_text("offerings.csv"))[1]:
        row = _row(OfferingRow, r.values, "offerings.csv", r.line)
        acc = index.resolve(row.accelerator, source="offerings.csv", line=r.line)
        offerings.append(row.to_domain(acc.id, source="", as_of="", private=False))
    terms = [
        _row(ContractTermRow, r.values, "contract_terms.csv", r.line).to_domain()
        for r in read_csv_rows("contract_terms.csv", text=_data_text("contract_terms.csv"))[1]
    ]
    hosts = [
        _row(HostVmRow, r.values, "host_vms.csv", r.line).to_domain()
        for r in read_csv_rows("host_vms.csv", text=_data_text("host_vms.csv"))[1]
    ]
    return Catalog(
        accelerators=index,
        offerings=tuple(offerings),
        terms=tuple(terms),
        sources=("computebroker shipped snapshot",),
        hosts=tuple(hosts),
    )


_T = TypeVar("_T", AcceleratorRow, OfferingRow, ContractTermRow, HostVmRow)


def _row(model: type[_T], values: dict[str, str], source: str, line: int) -> _T:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InputError(validation_issues(exc, source, line=line)) from None


def load_catalog(user_files: Sequence[Path | str] = ()) -> Catalog:
    """The shipped catalog, with each user file (YAML or CSV) merged over it in order.

    Examples
    --------
    >>> cat = load_catalog()
    >>> len(cat.accelerators) >= 20, len(cat.offerings) > 1000
    (True, True)
    """
    from computebroker.catalog.userfile import read_user_catalog

    catalog = shipped_catalog()
    for path in user_files:
        catalog = read_user_catalog(Path(path), catalog)
    return catalog


def load_catalog_texts(texts: Sequence[tuple[str, str]]) -> Catalog:
    """The shipped catalog, with each user catalog given as (name, YAML text) merged over it in
    order (messages name the file by ``name``)."""
    from computebroker.catalog.userfile import read_user_catalog_text

    catalog = shipped_catalog()
    for name, text in texts:
        catalog = read_user_catalog_text(name, text, catalog)
    return catalog
