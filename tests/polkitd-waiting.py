#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# polkitd as it behaves while authentication agents ask for passwords that
# nobody types (an agent of the caller's own that never answers): a check
# that allows user interaction is never answered; any other is answered at
# once, "a password is wanted" (as for auth_admin without an agent to ask).
# Prints "waiting N" each time one more waits.
# Runs as user polkitd (the bus policy lets only it own the name):
#   polkitd-waiting.py
import sys

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

XML = '''<node><interface name="org.freedesktop.PolicyKit1.Authority">
  <method name="CheckAuthorization">
    <arg type="(sa{sv})" direction="in"/><arg type="s" direction="in"/><arg type="a{ss}" direction="in"/>
    <arg type="u" direction="in"/><arg type="s" direction="in"/><arg type="(bba{ss})" direction="out"/>
  </method>
  <method name="CancelCheckAuthorization"><arg type="s" direction="in"/></method>
  <property name="BackendName" type="s" access="read"/>
  <property name="BackendVersion" type="s" access="read"/>
  <property name="BackendFeatures" type="u" access="read"/>
  <signal name="Changed"/>
</interface></node>'''
ALLOW_USER_INTERACTION = 1
waiting = []


def on_call(conn, sender, path, interface, method, params, invocation):
    if method == 'CheckAuthorization' and params[3] & ALLOW_USER_INTERACTION:
        waiting.append(invocation)
        print('waiting %d' % len(waiting), flush=True)
    elif method == 'CheckAuthorization':
        invocation.return_value(GLib.Variant('((bba{ss}))', ((False, True, {}),)))
    else:
        invocation.return_value(None)


def on_get(conn, sender, path, interface, name):
    return {'BackendName': GLib.Variant('s', 'polkitd-waiting'), 'BackendVersion': GLib.Variant('s', '0'),
            'BackendFeatures': GLib.Variant('u', 0)}[name]


bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
node = Gio.DBusNodeInfo.new_for_xml(XML)
bus.register_object('/org/freedesktop/PolicyKit1/Authority', node.interfaces[0], on_call, on_get, None)
reply = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName',
                      GLib.Variant('(su)', ('org.freedesktop.PolicyKit1', 4)), None, 0, -1, None)
if reply[0] != 1:
    sys.exit('cannot own org.freedesktop.PolicyKit1')
GLib.MainLoop().run()
