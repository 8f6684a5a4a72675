"""Reading the shipped reference data: policy packs (YAML) and catalogues (CSV).

The one module of the domain that opens files. It reads static data that ships with the code,
once, when the service or the CLI starts; every rule stays pure and receives the parsed objects.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from services.settlement.domain.catalogue import Catalogue, CatalogueRegistry, parse_catalogue
from services.settlement.domain.errors import ReferenceDataError
from services.settlement.domain.pack_reader import parse_pack
from services.settlement.domain.pack_registry import PackRegistry
from services.settlement.domain.policy_pack import PolicyPack


def load_pack_file(path: Path | str) -> PolicyPack:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReferenceDataError(path.name, "", f"not valid YAML: {exc}") from None
    pack = parse_pack(document, path.name)
    if path.stem != pack.id:
        raise ReferenceDataError(path.name, "id", f"the file must be named {pack.id}.yaml")
    return pack


def load_packs(directory: Path | str) -> PackRegistry:
    """Every `*.yaml` directly in `directory` (sub-folders such as `examples/` are not read)."""
    return PackRegistry(load_pack_file(p) for p in sorted(Path(directory).glob("*.yaml")))


def load_catalogue_file(path: Path | str) -> Catalogue:
    path = Path(path)
    return parse_catalogue(path.read_text(encoding="utf-8"), path.stem, path.name)


def load_catalogues(directory: Path | str) -> CatalogueRegistry:
    return CatalogueRegistry(load_catalogue_file(p) for p in sorted(Path(directory).glob("*.csv")))
