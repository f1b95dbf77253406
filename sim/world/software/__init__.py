"""The software that runs in the emulated cluster's containers, and the image catalog."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sim.world.software.busybox import busybox_factory
from sim.world.software.catalog import Catalog, ImageEntry, ProgramFactory
from sim.world.software.dsb import thrift_factory
from sim.world.software.generic import generic_factory, git_clone_factory, pause_factory
from sim.world.software.hotel import hotel_factory
from sim.world.software.mongoshell import mongod_factory
from sim.world.software.openresty import openresty_factory
from sim.world.software.otel import demo_factory, flagd_factory
from sim.world.software.stress import stress_factory

if TYPE_CHECKING:
    from sim.apps import App

FACTORIES: dict[str, ProgramFactory] = {
    "generic": generic_factory,
    "pause": pause_factory,
    "hotel-go": hotel_factory,
    "mongod": mongod_factory,
    "dsb-thrift": thrift_factory,
    "openresty-thrift": openresty_factory,
    "git-clone": git_clone_factory,
    "otel-demo": demo_factory,
    "flagd": flagd_factory,
    "busybox": busybox_factory,
    "stress": stress_factory,
}

BASE_IMAGES = (
    ImageEntry(
        "gcr.io/google-containers/pause:latest", "pause", size_bytes=300_000, pull_seconds=1.0
    ),
    # Not part of any app: what people run next to them (batch jobs, benchmarks).
    ImageEntry(
        "ghcr.io/colinianking/stress-ng:latest", "stress", size_bytes=9_000_000, pull_seconds=2.0
    ),
    ImageEntry("busybox:latest", "busybox", size_bytes=2_160_000, pull_seconds=1.0),
)


def build_catalog(apps: Iterable[App]) -> Catalog:
    """The registry: the platform's images, the base images and every app's images."""
    from sim.platform import PLATFORM_IMAGES

    images = list(PLATFORM_IMAGES) + list(BASE_IMAGES)
    for app in apps:
        images += [spec.entry() for spec in app.images]
    return Catalog(images, FACTORIES)
