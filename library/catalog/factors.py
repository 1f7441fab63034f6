"""The five factors of the smart-library programme, in the library's own words."""

from __future__ import annotations

from dataclasses import dataclass

from library.catalog.models import Factor
from library.i18n import Lang, pick


@dataclass(frozen=True)
class FactorText:
    name: str
    name_en: str
    description: str
    description_en: str

    def localised(self, lang: Lang) -> tuple[str, str]:
        return pick(lang, self.name, self.name_en), pick(lang, self.description, self.description_en)


FACTOR_TEXTS: dict[Factor, FactorText] = {
    Factor.TECHNOLOGY: FactorText(
        "Technologie",
        "Technology",
        "Geräte zum Ausprobieren: 3D-Drucker, Lasercutter, Roboter, VR-Brillen, Kameras.",
        "Devices to try out: 3D printers, laser cutter, robots, VR headsets, cameras.",
    ),
    Factor.KNOWHOW: FactorText(
        "Know-how",
        "Know-how",
        "Einweisungen und Workshops, in denen Wissen zu Können wird.",
        "Inductions and workshops where knowledge turns into skill.",
    ),
    Factor.NETWORKING: FactorText(
        "Vernetzung",
        "Networking",
        "Räume und Plätze, um gemeinsam zu arbeiten und sich auszutauschen.",
        "Rooms and places to work together and exchange ideas.",
    ),
    Factor.SPACE: FactorText(
        "Raum",
        "Space",
        "Lern- und Arbeitsplätze, Gruppenräume und Orte zum Verweilen.",
        "Study and work places, group rooms and places to stay.",
    ),
    Factor.INNOVATION: FactorText(
        "Innovation",
        "Innovation",
        "Neues erproben: Makerspace, Bibliothek der Dinge und Projekte mit Partnern.",
        "Trying new things: the makerspace, the library of things and projects with partners.",
    ),
}
