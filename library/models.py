"""Every table of the service, imported in one place for Alembic and the tests."""

from library.accounts.models import (
    ApiToken,
    Certification,
    EmailVerification,
    LoginFailure,
    LoginSession,
    PasswordReset,
    User,
    UserCertification,
)
from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingSeries, Hold, Loan
from library.catalog.models import (
    ExceptionPeriod,
    Location,
    MaintenancePlan,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    Unit,
    UnitBlock,
    UnitReport,
    UnitService,
)
from library.db import Base
from library.opendata.models import Datastream, Observation
from library.outbox.models import OutboxMessage
from library.pictures.models import Photo
from library.stats.models import (
    KeptThrough,
    KeptUptake,
    PersonFirstVisit,
    PersonKey,
    PersonMonth,
    RefusalEvent,
)
from library.workshops.models import Registration, Workshop, WorkshopSession

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Booking",
    "BookingSeries",
    "Certification",
    "Datastream",
    "EmailVerification",
    "ExceptionPeriod",
    "Hold",
    "KeptThrough",
    "KeptUptake",
    "Loan",
    "Location",
    "LoginFailure",
    "LoginSession",
    "MaintenancePlan",
    "Observation",
    "OpeningException",
    "OpeningPeriod",
    "OutboxMessage",
    "PasswordReset",
    "PersonFirstVisit",
    "PersonKey",
    "PersonMonth",
    "Photo",
    "Policy",
    "RefusalEvent",
    "Registration",
    "Resource",
    "Unit",
    "UnitBlock",
    "UnitReport",
    "UnitService",
    "User",
    "UserCertification",
    "Workshop",
    "WorkshopSession",
]
