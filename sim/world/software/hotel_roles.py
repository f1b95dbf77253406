"""HotelReservation's binaries as data: what each one serves, calls and stores, and the
frontend's routes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """What one binary of the image does."""

    port_key: str
    calls: tuple[str, ...] = ()  # consul names of the services it calls
    mongo_key: str | None = None
    database: str = ""
    collection: str = ""
    credentials: bool = False  # dials mongodb://admin:admin@... (the --auth databases)
    memc_key: str | None = None
    registers: bool = True


ROLES: dict[str, Role] = {
    "frontend": Role(
        "FrontendPort",
        ("srv-search", "srv-profile", "srv-recommendation", "srv-user", "srv-reservation"),
        registers=False,
    ),
    "search": Role("SearchPort", ("srv-geo", "srv-rate")),
    "geo": Role(
        "GeoPort",
        mongo_key="GeoMongoAddress",
        database="geo-db",
        collection="geo",
        credentials=True,
    ),
    "rate": Role(
        "RatePort",
        mongo_key="RateMongoAddress",
        database="rate-db",
        collection="inventory",
        credentials=True,
        memc_key="RateMemcAddress",
    ),
    "profile": Role(
        "ProfilePort",
        mongo_key="ProfileMongoAddress",
        database="profile-db",
        collection="hotels",
        memc_key="ProfileMemcAddress",
    ),
    "recommendation": Role(
        "RecommendPort",
        mongo_key="RecommendMongoAddress",
        database="recommendation-db",
        collection="recommendation",
    ),
    "reservation": Role(
        "ReservePort",
        mongo_key="ReserveMongoAddress",
        database="reservation-db",
        collection="reservation",
        memc_key="ReserveMemcAddress",
    ),
    "user": Role("UserPort", mongo_key="UserMongoAddress", database="user-db", collection="user"),
}
# The frontend's HTTP routes and what each calls; every other service serves one gRPC method.
ROUTES = {
    "HTTP GET /hotels": ("srv-search", "srv-profile"),
    "HTTP GET /recommendations": ("srv-recommendation", "srv-profile"),
    "HTTP POST /user": ("srv-user",),
    "HTTP POST /reservation": ("srv-user", "srv-reservation"),
}
METHODS = {
    "search": "Nearby",
    "geo": "Nearby",
    "rate": "GetRates",
    "profile": "GetProfiles",
    "recommendation": "GetRecommendations",
    "user": "CheckUser",
    "reservation": "MakeReservation",
}
# What the frontend's handlers call, for the error lines a failing dependency produces.
FRONTEND_CALLS = {
    "srv-search": ("searchHandler", "SearchHandler Nearby"),
    "srv-profile": ("searchHandler", "SearchHandler GetProfiles"),
    "srv-recommendation": ("recommendHandler", "recommendHandler GetRecommendations"),
    "srv-user": ("userHandler", "userHandler CheckUser"),
    "srv-reservation": ("reservationHandler", "reservationHandler MakeReservation"),
}
