"""Accelerator lookup: canonical lowercase ids, aliases, any case, did-you-mean errors.

Canonical ids are short and lowercase (``h100``, ``tpu-v6e``, ``trn2``). A lookup accepts the
id, any alias (``Trainium2``, ``Trillium``, ``H100-SXM``, ``A100``), in any case, with spaces or
underscores for hyphens, and with or without the vendor prefix (``NVIDIA H100``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from computebroker.catalog.types import Accelerator
from computebroker.errors import UnknownNameError

__all__ = ["AcceleratorIndex", "normalise_name"]

_VENDOR_PREFIX = re.compile(r"^(nvidia|amd|google|aws|amazon|intel)[- ]+")
_SEPARATORS = re.compile(r"[\s_]+")
_DASHES = re.compile(r"-{2,}")


def normalise_name(name: str) -> str:
    """Fold a user-typed accelerator name into the form aliases are stored in.

    Examples
    --------
    >>> normalise_name("NVIDIA H100_SXM")
    'h100-sxm'
    >>> normalise_name("  TPU v6e ")
    'tpu-v6e'
    """
    text = name.strip().lower()
    text = _VENDOR_PREFIX.sub("", text)
    text = _SEPARATORS.sub("-", text)
    return _DASHES.sub("-", text).strip("-")


@dataclass(frozen=True, slots=True)
class AcceleratorIndex:
    """Accelerators by canonical id, with every alias resolved to its id."""

    by_id: Mapping[str, Accelerator]
    alias_to_id: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, accelerators: Iterable[Accelerator]) -> AcceleratorIndex:
        """Index accelerators; a later entry with the same id replaces an earlier one."""
        by_id: dict[str, Accelerator] = {}
        for acc in accelerators:
            by_id[acc.id] = acc
        aliases: dict[str, str] = {}
        for acc in by_id.values():
            for alias in (acc.id, acc.name, *acc.aliases):
                aliases.setdefault(normalise_name(alias), acc.id)
        for acc in by_id.values():  # canonical ids always win over another chip's alias
            aliases[normalise_name(acc.id)] = acc.id
        return cls(by_id=MappingProxyType(by_id), alias_to_id=MappingProxyType(aliases))

    def __iter__(self) -> Iterator[Accelerator]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    @property
    def ids(self) -> tuple[str, ...]:
        """Canonical ids in catalog order."""
        return tuple(self.by_id)

    def find(self, name: str) -> Accelerator | None:
        """The accelerator a name refers to, or None."""
        acc_id = self.alias_to_id.get(normalise_name(name))
        return None if acc_id is None else self.by_id[acc_id]

    def resolve(
        self,
        name: str,
        *,
        source: str = "<input>",
        line: int | None = None,
        field: str | None = None,
    ) -> Accelerator:
        """The accelerator a name refers to; unknown names raise with close matches.

        Examples
        --------
        >>> from computebroker.catalog import load_catalog
        >>> idx = load_catalog().accelerators
        >>> idx.resolve("Trainium2").id, idx.resolve("trillium").id, idx.resolve("A100").id
        ('trn2', 'tpu-v6e', 'a100-40gb')
        """
        acc = self.find(name)
        if acc is None:
            raise UnknownNameError(
                kind="accelerator",
                name=name,
                known=sorted(set(self.alias_to_id) | set(self.by_id)),
                source=source,
                line=line,
                field=field,
            )
        return acc
