"""CuPy backend. The only module of :mod:`fea` that imports CuPy."""

from __future__ import annotations

import functools
from typing import NamedTuple

__all__ = ["DeviceStatus", "probe_device"]


class DeviceStatus(NamedTuple):
    """Whether a CUDA device really works here, and why (not)."""

    usable: bool
    reason: str
    name: str = ""


@functools.cache
def probe_device() -> DeviceStatus:
    """Try CuPy for real: import, count devices, allocate and reduce an array.

    CuPy imports on machines without a driver and fails only on first use, so the
    import alone proves nothing; the allocation is the test.
    """
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install raising anything
        return DeviceStatus(False, f"CuPy is not importable ({type(exc).__name__}: {exc})")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            return DeviceStatus(False, "CuPy found no CUDA device")
        x = cupy.arange(8, dtype=cupy.float64)
        if float((x * 2).sum()) != 56.0:
            return DeviceStatus(False, "a test computation on the device gave a wrong result")
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        return DeviceStatus(True, f"CUDA device 0 works ({name})", name)
    except Exception as exc:
        return DeviceStatus(False, f"CuPy imports but the device does not work "
                                   f"({type(exc).__name__}: {exc})")
