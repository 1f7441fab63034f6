"""Every page controller, by area: what a visitor sees, the staff back office, the door displays."""

from __future__ import annotations

from litestar import Controller

from library.web.account import AccountPages
from library.web.catalogue import CataloguePages
from library.web.display import DisplayPages
from library.web.loans import LoanPages
from library.web.media import MediaFiles
from library.web.my_bookings import MyBookingPages
from library.web.my_holds import MyHoldPages
from library.web.pages import HomePages
from library.web.resource import ResourcePages
from library.web.staff_audit import StaffAuditPages
from library.web.staff_bookings import StaffBookingPages
from library.web.staff_defects import StaffDefectsPages
from library.web.staff_desk import StaffDeskPages
from library.web.staff_grid import StaffGridPages
from library.web.staff_holds import StaffHoldPages
from library.web.staff_hours import StaffHoursPages
from library.web.staff_inventory import StaffInventoryPages
from library.web.staff_inventory_csv import StaffInventoryFilePages
from library.web.staff_loans import StaffLoanPages
from library.web.staff_outbox import StaffOutboxPages
from library.web.staff_people import StaffPeoplePages
from library.web.staff_person import StaffPersonPages
from library.web.staff_photos import StaffWorkshopPhotoPages
from library.web.staff_stats import StaffStatsPages
from library.web.staff_workshops import StaffWorkshopPages
from library.web.unit_page import UnitPages
from library.web.workshops import WorkshopPages

PAGE_CONTROLLERS: list[type[Controller]] = [
    HomePages,
    CataloguePages,
    ResourcePages,
    MyBookingPages,
    MyHoldPages,
    LoanPages,
    WorkshopPages,
    AccountPages,
    StaffDeskPages,
    StaffGridPages,
    StaffWorkshopPages,
    StaffOutboxPages,
    StaffBookingPages,
    StaffPeoplePages,
    StaffPersonPages,
    StaffInventoryPages,
    StaffHoldPages,
    DisplayPages,
    StaffAuditPages,
    StaffInventoryFilePages,
    StaffHoursPages,
    MediaFiles,
    StaffWorkshopPhotoPages,
    StaffStatsPages,
    UnitPages,
    StaffDefectsPages,
    StaffLoanPages,
]
