"""The kinds of message the library sends, in words for the staff's outbox (texts marked with N_,
translated where they are shown); a kind without words still shows its code."""

from __future__ import annotations

from library.i18n import N_, Lang, translate

KIND_WORDS: dict[str, str] = {
    "account.email_verification": N_("Confirm e-mail address"),
    "account.password_reset": N_("Password reset link"),
    "account.set_password": N_("Choose a first password (account made at the desk)"),
    "booking.pending": N_("Booking received, waiting for approval"),
    "booking.confirmed": N_("Booking confirmed"),
    "booking.checked_in": N_("Booking checked in"),
    "booking.completed": N_("Booking completed"),
    "booking.cancelled": N_("Booking cancelled"),
    "booking.rejected": N_("Booking rejected"),
    "booking.no_show": N_("Booking not collected"),
    "booking.moved": N_("Booking moved"),
    "booking.reminder": N_("Booking reminder"),
    "booking.series": N_("Series of bookings confirmed"),
    "hold.offered": N_("A freed slot offered to the person waiting for it"),
    "registration.confirmed": N_("Workshop place confirmed"),
    "registration.waitlisted": N_("On the workshop waiting list"),
    "registration.offered": N_("Workshop place offered from the waiting list"),
    "registration.entered": N_("Entered in the workshop draw"),
    "registration.cancelled": N_("Workshop registration cancelled"),
    "registration.attended": N_("Workshop attendance noted"),
    "registration.reminder": N_("Workshop reminder"),
    "workshop_session.cancelled": N_("Workshop session cancelled"),
    "workshop_session.moved": N_("Workshop session moved"),
    "workshop_session.message": N_("A message from the library to a session's participants"),
    "certification.granted": N_("Certification granted"),
    "certification.expiring": N_("Certification about to expire"),
    "loan.reserved": N_("Thing reserved for pickup"),
    "loan.due_soon": N_("Loan due back in two days"),
    "loan.due_today": N_("Loan due back today"),
    "loan.overdue": N_("Loan overdue"),
    "unit.reported": N_("A unit out of service after a defect report (to the staff)"),
}


def kind_words(kind: str, lang: Lang) -> str:
    """The kind in the page language; an unknown kind as its code."""
    words = KIND_WORDS.get(kind)
    return translate(lang, words) if words else kind
