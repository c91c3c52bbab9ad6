"""Keep the till's screen from blanking while the kiosk runs, and give it back on exit.

- X11 (``xcb``): through the X server itself, with ctypes (no extra package): the screen saver's
  timeout is set to 0 (``xset q`` shows "timeout: 0"), the screen saver is suspended for as long
  as this connection lives (the MIT-SCREEN-SAVER extension, released by the server even if the
  kiosk crashes), and DPMS is disabled. The saved timeout and DPMS state are restored on exit.
  Without libX11 it falls back to ``xset s off -dpms``.
- Windows: ``SetThreadExecutionState(ES_CONTINUOUS | ES_DISPLAY_REQUIRED)``.
- Wayland: the idle-inhibit protocol is not reachable from Qt without extra packages, so the
  compositor's own settings decide (docs/deploy.md: cage has no idle timeout of its own).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)

ES_CONTINUOUS = 0x80000000
ES_SYSTEM_REQUIRED = 0x00000001
ES_DISPLAY_REQUIRED = 0x00000002


@dataclass(frozen=True)
class BlankingInhibit:
    held: bool
    method: str  # "x11", "xset", "windows", or "none"
    detail: str  # what was done, or why nothing could be


class _X11:
    """The screen saver and DPMS of the X server named by DISPLAY, through libX11/libXss/libXext."""

    def __init__(self) -> None:
        x11 = ctypes.util.find_library("X11")
        if x11 is None:
            raise OSError("libX11 is not installed")
        self.x = ctypes.CDLL(x11)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        int_p = ctypes.POINTER(ctypes.c_int)
        self.x.XGetScreenSaver.argtypes = [ctypes.c_void_p, int_p, int_p, int_p, int_p]
        self.x.XSetScreenSaver.argtypes = [ctypes.c_void_p] + [ctypes.c_int] * 4
        self.dpy = self.x.XOpenDisplay(None)
        if not self.dpy:
            raise OSError("cannot open the X display (is DISPLAY set?)")
        self.saved = [ctypes.c_int() for _ in range(4)]
        self.x.XGetScreenSaver(self.dpy, *(ctypes.byref(v) for v in self.saved))
        self.xss = self._lib("Xss", "XScreenSaverSuspend")
        self.ext = self._lib("Xext", "DPMSDisable")
        self.dpms_was_on = False

    def _lib(self, name: str, symbol: str) -> ctypes.CDLL | None:
        path = ctypes.util.find_library(name)
        if path is None:
            return None
        lib = ctypes.CDLL(path)
        return lib if hasattr(lib, symbol) else None

    def hold(self) -> str:
        timeout, interval, prefer_blanking, allow_exposures = (v.value for v in self.saved)
        self.x.XSetScreenSaver(self.dpy, 0, interval, prefer_blanking, allow_exposures)
        done = [f"screen saver timeout {timeout} s -> 0"]
        if self.xss is not None:
            self.xss.XScreenSaverSuspend.argtypes = [ctypes.c_void_p, ctypes.c_int]
            self.xss.XScreenSaverSuspend(self.dpy, 1)
            done.append("screen saver suspended")
        if self.ext is not None and self._dpms_capable():
            level, state = ctypes.c_ushort(), ctypes.c_ubyte()
            self.ext.DPMSInfo.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            self.ext.DPMSInfo(self.dpy, ctypes.byref(level), ctypes.byref(state))
            self.dpms_was_on = bool(state.value)
            self.ext.DPMSDisable.argtypes = [ctypes.c_void_p]
            self.ext.DPMSDisable(self.dpy)
            done.append("DPMS disabled")
        self.x.XSync(self.dpy, 0)
        return ", ".join(done)

    def _dpms_capable(self) -> bool:
        assert self.ext is not None
        event, error = ctypes.c_int(), ctypes.c_int()
        self.ext.DPMSQueryExtension.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        if not self.ext.DPMSQueryExtension(self.dpy, ctypes.byref(event), ctypes.byref(error)):
            return False
        self.ext.DPMSCapable.argtypes = [ctypes.c_void_p]
        return bool(self.ext.DPMSCapable(self.dpy))

    def release(self) -> None:
        self.x.XSetScreenSaver(self.dpy, *(v.value for v in self.saved))
        if self.xss is not None:
            self.xss.XScreenSaverSuspend(self.dpy, 0)
        if self.ext is not None and self.dpms_was_on:
            self.ext.DPMSEnable.argtypes = [ctypes.c_void_p]
            self.ext.DPMSEnable(self.dpy)
        self.x.XSync(self.dpy, 0)
        self.x.XCloseDisplay(self.dpy)


class ScreenAwake:
    """Hold with ``hold()`` once the window is up; ``release()`` on the way out."""

    def __init__(self, platform: str) -> None:
        self.platform = platform  # QGuiApplication.platformName(): xcb, wayland, windows, ...
        self._x11: _X11 | None = None
        self._xset_saved: tuple[str, str, bool] | None = None
        self.state = BlankingInhibit(held=False, method="none", detail="not held")

    def hold(self) -> BlankingInhibit:
        if self.state.held:
            return self.state
        try:
            self.state = self._hold()
        except Exception as exc:  # never let this stop the kiosk
            self.state = BlankingInhibit(held=False, method="none", detail=str(exc))
        if self.state.held:
            log.info("Screen blanking off (%s): %s", self.state.method, self.state.detail)
        else:
            log.warning("The screen may blank: %s", self.state.detail)
        return self.state

    def _hold(self) -> BlankingInhibit:
        if sys.platform == "win32":
            kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]  # WinDLL exists on Windows only
            flags = ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED
            if not kernel32.SetThreadExecutionState(flags):
                return BlankingInhibit(False, "none", "SetThreadExecutionState failed")
            return BlankingInhibit(True, "windows", "SetThreadExecutionState(display required)")
        if self.platform == "xcb":
            try:
                self._x11 = _X11()
                return BlankingInhibit(True, "x11", self._x11.hold())
            except OSError as exc:
                self._x11 = None
                return self._hold_xset(str(exc))
        if self.platform.startswith("wayland"):
            return BlankingInhibit(
                False,
                "none",
                "Wayland: the compositor decides (cage never blanks by itself; see docs/deploy.md)",
            )
        return BlankingInhibit(False, "none", f"nothing to do on the {self.platform} platform")

    def _hold_xset(self, why: str) -> BlankingInhibit:
        xset = shutil.which("xset")
        if xset is None:
            return BlankingInhibit(False, "none", f"{why}, and xset is not installed")
        query = subprocess.run([xset, "q"], capture_output=True, text=True, timeout=10).stdout
        timeout, cycle = "600", "600"
        for line in query.splitlines():
            parts = line.split()
            if parts[:1] == ["timeout:"] and "cycle:" in parts:
                timeout, cycle = parts[1], parts[parts.index("cycle:") + 1]
        self._xset_saved = (timeout, cycle, "DPMS is Enabled" in query)
        subprocess.run([xset, "s", "off", "-dpms"], check=False, timeout=10)
        return BlankingInhibit(True, "xset", f"{why}; used xset s off -dpms")

    def release(self) -> None:
        if not self.state.held:
            return
        try:
            if self.state.method == "windows":
                ctypes.WinDLL("kernel32").SetThreadExecutionState(  # type: ignore[attr-defined,unused-ignore]  # WinDLL exists on Windows only
                    ES_CONTINUOUS
                )
            elif self._x11 is not None:
                self._x11.release()
                self._x11 = None
            elif self._xset_saved is not None and (xset := shutil.which("xset")):
                timeout, cycle, dpms = self._xset_saved
                args = [xset, "s", timeout, cycle, *(["+dpms"] if dpms else [])]
                subprocess.run(args, check=False, timeout=10)
        except Exception:
            log.exception("Could not give screen blanking back")
        self.state = BlankingInhibit(held=False, method="none", detail="released")
