"""The five factors of the smart-library programme, in the library's own words."""

from __future__ import annotations

from dataclasses import dataclass

from library.catalog.models import Factor
from library.i18n import N_, Lang, translate


@dataclass(frozen=True)
class FactorText:
    """A factor's name and description, msgids of the catalogues."""

    name: str
    description: str

    def localised(self, lang: Lang) -> tuple[str, str]:
        return translate(lang, self.name), translate(lang, self.description)


FACTOR_TEXTS: dict[Factor, FactorText] = {
    Factor.TECHNOLOGY: FactorText(
        N_("Technology"),
        N_("Devices to try out: 3D printers, laser cutter, robots, VR headsets, cameras."),
    ),
    Factor.KNOWHOW: FactorText(
        N_("Know-how"),
        N_("Inductions and workshops where knowledge turns into skill."),
    ),
    Factor.NETWORKING: FactorText(
        N_("Networking"),
        N_("Rooms and places to work together and exchange ideas."),
    ),
    Factor.SPACE: FactorText(
        N_("Space & meeting"),
        N_("Study and work places, group rooms and places to stay."),
    ),
    Factor.INNOVATION: FactorText(
        N_("Innovation"),
        N_("Trying new things: the makerspace, the library of things and projects with partners."),
    ),
}
