"""Checks made before Qt is imported, so that a newcomer gets a sentence instead of a Qt abort.

Qt's xcb plugin (Qt 6.5+) needs libxcb-cursor0 and friends that a fresh Linux machine lacks;
without them Qt prints "could not load the Qt platform plugin" and aborts. We look for the
libraries ourselves and name the Debian/Ubuntu packages to install. What it prints is for the
person at the terminal: the ``cli`` catalog, in the terminal's language (core/cli_i18n.py).
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass, field

from core.assets import assets_dir
from core.cli_i18n import _

# soname -> Debian/Ubuntu package
CORE_LIBS = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
}
XCB_LIBS = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11-xcb.so.1": "libx11-xcb1",
}
FONT_FILES = ("NotoSans-Regular.ttf", "NotoSansDevanagari-Regular.ttf")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        lines = [_("NPS Kiosk cannot start a window on this machine yet:")]
        lines += [f"  - {p}" for p in self.problems]
        if self.packages:
            pkgs = " ".join(dict.fromkeys(self.packages))
            lines += [
                "",
                _("On Debian or Ubuntu, install what is missing with:"),
                f"  sudo apt-get install -y {pkgs}",
            ]
        lines += [
            "",
            _("Then run the same command again. (`make run` checks this before it starts.)"),
        ]
        return "\n".join(lines)


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def platform_name(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return "wayland"
    return "xcb"


def check(env: dict[str, str] | None = None) -> Report:
    """What is missing for Qt to show the kiosk (an empty report when all is well)."""
    env = dict(os.environ if env is None else env)
    report = Report()
    if not sys.platform.startswith("linux"):
        return report
    platform = platform_name(env)
    needed = dict(CORE_LIBS)
    if platform == "xcb":
        needed.update(XCB_LIBS)
        if not env.get("DISPLAY"):
            report.problems.append(
                _(
                    "There is no screen (DISPLAY is not set). Run it from a desktop session, "
                    "under cage or Xvfb (`xvfb-run nps-kiosk`), or headless with "
                    "QT_QPA_PLATFORM=offscreen."
                )
            )
    missing = [(so, pkg) for so, pkg in needed.items() if not _loadable(so)]
    for so, pkg in missing:
        report.problems.append(
            _(
                "the system library {library} is missing (package {package})",
                library=so,
                package=pkg,
            )
        )
        report.packages.append(pkg)
    fonts = assets_dir() / "fonts"
    if not all((fonts / name).exists() for name in FONT_FILES) and not _system_devanagari():
        report.problems.append(
            _(
                "no font with Devanagari was found (the bundled assets/fonts are missing), so "
                "Hindi would show as boxes"
            )
        )
        report.packages.append("fonts-noto-core")
    return report


def _system_devanagari() -> bool:
    import shutil
    import subprocess

    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(
        ["fc-list", ":lang=hi", "family"], capture_output=True, text=True, check=False
    ).stdout
    return bool(out.strip())


def main() -> int:
    """`nps-kiosk doctor`: print what is missing, exit 0 when the kiosk can start."""
    report = check()
    if report.ok:
        print(
            _(
                "All set: Qt can start here (platform {platform}), fonts found.",
                platform=platform_name(),
            )
        )
        return 0
    print(report.message(), file=sys.stderr)
    return 3
