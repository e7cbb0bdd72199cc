# Shared by scripts/demo and scripts/test: dependencies and the build.
# fprintd and libpam-fprintd are for the tests of fprintd's API on biogated:
# their tools and pam_fprintd.so are the clients; fprintd's daemon never runs.
# python3-jwt, the JDK, Go and go-jose run the token checks of examples/
# (test examples/verifiers).
# GTK 4 builds biogate-agent; Xvfb, xwd (x11-apps), AT-SPI and pyatspi are
# for its test (tests/test-agent.c), which reads its window as a screen
# reader would. bash-completion: the directory biogatectl's completion
# installs to (pkg-config), and the completion test loads its helpers.
# debhelper, dpkg-dev, fakeroot and lintian build and check
# the Debian packages (scripts/package, suite "package").
# libpam-systemd opens the logind sessions of tests/systemd/flows.sh
# (biogate under a real systemd booted in a namespace).
# shellcheck shell=bash

BIOGATE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIOGATE_PACKAGES=(
        gcc libc6-dev pkg-config meson ninja-build scdoc
        libfprint-2-dev libglib2.0-dev libsystemd-dev libsodium-dev libpolkit-gobject-1-dev libpam0g-dev libjson-glib-dev libicu-dev
        dbus dbus-daemon dbus-bin util-linux libpam-wrapper libpamtest0-dev pamtester polkitd systemd valgrind openssl
        systemd-journal-remote libxml2-utils libglib2.0-bin bash-completion libpam-systemd
        gobject-introspection libgirepository1.0-dev python3-gi
        clang libclang-rt-14-dev
        fprintd libpam-fprintd
        python3-jwt openjdk-17-jdk-headless golang-go golang-gopkg-square-go-jose.v2-dev
        libgtk-4-dev xvfb x11-apps at-spi2-core python3-pyatspi
        debhelper dpkg-dev fakeroot lintian
        gettext locales
)

biogate_install_deps() {
        local missing=()
        for p in "${BIOGATE_PACKAGES[@]}"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                echo "Missing packages: ${missing[*]}; run as root so they can be installed." >&2
                return 1
        fi
        echo "Installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # Packages do not start services here; "policy-rc.d denied" is expected.
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# biogate_build DIR [meson options...]
biogate_build() {
        local dir=$1; shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$BIOGATE_SRC" -Dwerror=true "$@" >/dev/null
        fi
        ninja -C "$dir" >/dev/null
}
