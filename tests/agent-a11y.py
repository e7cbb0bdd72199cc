#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads biogate-agent's window as a person's screen reader would, through
AT-SPI: asserts the daemon's text, the amount and the payee are shown (and
that text a hostile client tried to show is not), saves a screenshot of the
window (xwd, converted here to PNG), then presses Cancel.

Usage: agent-a11y.py TEXT AMOUNT PAYEE FORBIDDEN SCREENSHOT.png
DISPLAY and DBUS_SESSION_BUS_ADDRESS name the X server and the session bus
whose AT-SPI bus the agent is on. Exit status 0 when everything held."""

import os
import struct
import subprocess
import sys
import time
import zlib

import pyatspi

TITLE = "Approve this transaction?"
# The window appears when biogated calls ShowApproval; the accessibility
# tree follows asynchronously. This is a deadline for that, not a delay:
# the tree is read again until it holds what is asked, or time is up.
DEADLINE_S = 20 * int(os.environ.get("BIOGATE_TEST_TIMEOUT_FACTOR", "1") or "1")


def walk(node):
    yield node
    for i in range(node.childCount):
        child = node.getChildAtIndex(i)
        if child is not None:
            yield from walk(child)


def agent_window():
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is None:
            continue
        for win in app:
            if win is not None and win.name == TITLE and win.getState().contains(pyatspi.STATE_SHOWING):
                return win
    return None


def labels(win):
    return [n for n in walk(win) if n.getRole() == pyatspi.ROLE_LABEL]


def text_of(node):
    t = node.queryText()
    return t.getText(0, t.characterCount)


def labelled(win, key):
    """The text of the value label whose labelled-by relation points at the
    label key (a screen reader reads it as "key: value")."""
    for node in labels(win):
        for rel in node.getRelationSet():
            if rel.getRelationType() != pyatspi.RELATION_LABELLED_BY:
                continue
            for i in range(rel.getNTargets()):
                if text_of(rel.getTarget(i)) == key:
                    return text_of(node)
    return None


def wait_for(what, check):
    end = time.monotonic() + DEADLINE_S
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.05)


def xwd_to_png(xwd, png, box):
    """ZPixmap of 24 or 32 bits per pixel, as Xvfb writes them; cropped to box."""
    (header_size, _version, _format, depth, width, height, _xoff, byte_order, _unit, _bit_order, _pad,
     bits_per_pixel, bytes_per_line, _visual, red_mask, green_mask, blue_mask, _bits_rgb, _entries,
     ncolors) = struct.unpack(">20I", xwd[:80])
    if bits_per_pixel not in (24, 32):
        sys.exit(f"unexpected xwd format: {bits_per_pixel} bits per pixel, depth {depth}")
    data = xwd[header_size + 12 * ncolors:]
    order = "little" if byte_order == 0 else "big"
    size = bits_per_pixel // 8

    def shift(mask):
        return (mask & -mask).bit_length() - 1

    rs, gs, bs = shift(red_mask), shift(green_mask), shift(blue_mask)
    x0, y0, w, h = box
    x0, y0 = max(0, x0), max(0, y0)
    w, h = min(w, width - x0), min(h, height - y0)
    rows = []
    for y in range(y0, y0 + h):
        line = data[y * bytes_per_line:(y + 1) * bytes_per_line]
        row = bytearray(b"\x00")
        for x in range(x0, x0 + w):
            p = int.from_bytes(line[x * size:(x + 1) * size], order)
            row += bytes(((p & red_mask) >> rs, (p & green_mask) >> gs, (p & blue_mask) >> bs))
        rows.append(bytes(row))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    with open(png, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(b"".join(rows), 9)))
        f.write(chunk(b"IEND", b""))


def consent(answer, version_line, heading="Fingerprint enrolment on this workstation"):
    """The consent window: the daemon's notice is shown; press the answer."""
    title = "Consent to fingerprint enrolment"

    def window():
        for app in pyatspi.Registry.getDesktop(0):
            for win in app or []:
                if win is not None and win.name == title and win.getState().contains(pyatspi.STATE_SHOWING):
                    return win
        return None

    win = wait_for("the consent window", window)
    notice = wait_for("the notice", lambda: next((text_of(n) for n in labels(win)
                                                   if text_of(n).startswith(version_line)), None))
    assert heading in notice, notice
    label = "I agree" if answer == "agree" else "Decline"
    buttons = [n for n in walk(win) if n.getRole() == pyatspi.ROLE_PUSH_BUTTON and n.name == label]
    assert len(buttons) == 1, buttons
    buttons[0].queryAction().doAction(0)
    wait_for("the window to close", lambda: window() is None)
    print("consent:", answer)


def expect(wanted):
    """Waits until the approval window shows each wanted text as a label."""
    win = wait_for("the agent's window", agent_window)
    for text in wanted:
        wait_for(repr(text), lambda: any(text_of(n) == text for n in labels(win)))
    print("shown:", wanted)


def main():
    if sys.argv[1] == "--expect":
        expect(sys.argv[2:])
        return
    if sys.argv[1] == "--consent":
        consent(*sys.argv[2:5])
        return
    text, amount, payee, forbidden, screenshot = sys.argv[1:6]

    win = wait_for("the agent's window", agent_window)
    # The text is set before the window is presented; wait for it in the
    # tree all the same, as a screen reader would see it.
    wait_for("the daemon's text", lambda: any(text_of(n) == text for n in labels(win)))
    names = [n.name for n in labels(win)]
    print("labels:", names)

    assert labelled(win, "Amount") == amount, (labelled(win, "Amount"), amount)
    assert labelled(win, "Payee") == payee, (labelled(win, "Payee"), payee)
    for node in walk(win):
        assert forbidden not in (node.name or ""), f"the hostile text is shown: {node.name!r}"
        if node.getRole() == pyatspi.ROLE_LABEL:
            assert forbidden not in text_of(node), f"the hostile text is shown: {text_of(node)!r}"
        assert forbidden not in (node.description or ""), f"the hostile text is shown: {node.description!r}"
    status = wait_for("the touch prompt",
                      lambda: "Touch the fingerprint sensor" in [text_of(n) for n in labels(win)])
    assert status

    ext = win.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    xwd = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    xwd_to_png(xwd, screenshot, (ext.x, ext.y, ext.width, ext.height))
    print("screenshot:", screenshot, ext.width, "x", ext.height)

    cancel = [n for n in walk(win) if n.getRole() == pyatspi.ROLE_PUSH_BUTTON and n.name == "Cancel"]
    assert len(cancel) == 1, cancel
    action = cancel[0].queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    action.doAction(names.index("click") if "click" in names else 0)

    # The daemon's answer comes back to the window: "Cancelled".
    wait_for("the result", lambda: any(text_of(n).startswith("Cancelled") for n in labels(win)))
    print("cancelled through AT-SPI")


if __name__ == "__main__":
    main()
