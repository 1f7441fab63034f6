"""The catalogue files read together: each checked against the others, every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from library.seeding.certifications import CertificationSpec, read_certifications
from library.seeding.files import SeedError
from library.seeding.locations import LocationSpec, read_locations
from library.seeding.resources import ResourceSpec, read_resources
from library.seeding.workshops import WorkshopSpec, read_workshops


@dataclass(frozen=True)
class Catalogue:
    certifications: tuple[CertificationSpec, ...]
    locations: tuple[LocationSpec, ...]
    resources: tuple[ResourceSpec, ...]
    workshops: tuple[WorkshopSpec, ...] = ()


def read_catalogue(seed_dir: Path) -> Catalogue:
    """Read and check the catalogue files; raises SeedError listing every problem found."""
    problems: list[str] = []
    certifications = read_certifications(seed_dir, problems)
    locations = read_locations(seed_dir, problems)
    keys = {spec.key for spec in certifications}
    resources = read_resources(seed_dir, {spec.slug for spec in locations}, keys, problems)
    workshops = read_workshops(seed_dir, keys, resources, problems)
    if problems:
        raise SeedError(problems)
    return Catalogue(certifications, locations, resources, workshops)
