"""The design system covers every status and factor the code knows: an icon, a colour, a word."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from library.booking.models import BookingStatus
from library.catalog.models import Factor, UnitStatus
from library.config import PROJECT_ROOT
from library.outbox.models import OutboxStatus
from library.workshops.models import RegistrationStatus

UI = (PROJECT_ROOT / "templates" / "macros" / "ui.html").read_text(encoding="utf-8")
CSS = (PROJECT_ROOT / "library" / "web" / "static" / "site.css").read_text(encoding="utf-8")
STATUSES: list[type[StrEnum]] = [BookingStatus, RegistrationStatus, OutboxStatus, UnitStatus]


def icon_map(name: str) -> dict[str, str]:
    block = re.search(r"\{%\s*set " + name + r"\s*=\s*\{(.*?)\}\s*%\}", UI, re.S)
    assert block, f"ui.html has no {name}"
    return dict(re.findall(r'"([a-z_]+)":\s*"([a-z0-9-]+)"', block.group(1)))


@pytest.mark.parametrize("status", [status for enum in STATUSES for status in enum], ids=str)
def test_every_status_has_an_icon_and_a_colour(status: StrEnum) -> None:
    assert status.value in icon_map("status_icons")
    assert re.search(rf"\.status-{status.value}\b[^{{]*\{{[^}}]*--badge-ink", CSS), (
        f".status-{status.value} has no colour"
    )


@pytest.mark.parametrize("factor", list(Factor), ids=str)
def test_every_factor_has_an_icon_a_colour_and_a_tint(factor: Factor) -> None:
    assert factor.value in icon_map("factor_icons")
    assert re.search(rf"--factor-{factor.value}:\s*#[0-9a-f]{{6}};", CSS)
    assert re.search(rf"--factor-{factor.value}-tint:\s*#[0-9a-f]{{6}};", CSS)
    assert f".factor-{factor.value} {{ --badge-ink: var(--factor-{factor.value});" in CSS


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def token(name: str) -> str:
    found = re.search(rf"--{name}:\s*(#[0-9a-f]{{6}});", CSS)
    assert found, f"no token --{name}"
    return found.group(1)


def test_body_text_meets_aaa_and_coloured_text_aa() -> None:
    assert contrast(token("color-ink"), token("color-surface")) >= 7
    assert contrast(token("color-ink"), token("color-canvas")) >= 7
    assert contrast(token("color-ink-muted"), token("color-surface")) >= 7
    assert contrast(token("color-on-accent"), token("color-accent")) >= 4.5
    assert contrast(token("color-link"), token("color-canvas")) >= 4.5
    for state in ("success", "warning", "danger", "info", "neutral"):
        assert contrast(token(f"color-{state}"), token(f"color-{state}-tint")) >= 4.5, state
    for factor in Factor:
        assert contrast(token(f"factor-{factor.value}"), token(f"factor-{factor.value}-tint")) >= 4.5, factor
