# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The Debian packages that scripts/package built, and a throw-away system to
# install them into, for the tests of suite "package":
#   biogate_pkg_changes SRC          the .changes in SRC/build-deb (fails if absent)
#   biogate_pkg_debs SRC [PKG...]    the .debs (all but -dbgsym, or the PKGs named)
#   biogate_pkg_overlay ROOT         in a private mount namespace: a tmpfs at ROOT
#                                    holding the upper layers of overlays on /usr,
#                                    /etc and /var (the host's are the lower, read-only
#                                    layers), and the host's files at ROOT/lower/*
#   biogate_pkg_leftovers ROOT       what the uppers hold beyond dpkg's own records
#                                    and files identical to the host's
#   biogate_pkg_check_mounts TYPE DIR... fails unless each DIR is a TYPE mount

# The packages and their order of dependency (dpkg sorts one run itself).
BIOGATE_PKG_NAMES=(libbiogate-1-1 gir1.2-biogate-1 libbiogate-dev biogate libpam-biogate biogate-agent
                   biogate-fprintd-compat)

biogate_pkg_changes() {
        local src=$1 changes
        changes=$(find "$src/build-deb" -maxdepth 1 -name 'biogate_*.changes' 2>/dev/null | sort | head -n 1)
        if [ -z "$changes" ]; then
                echo "no packages in $src/build-deb: run scripts/package first" >&2
                return 1
        fi
        echo "$changes"
}

biogate_pkg_debs() {
        local src=$1 name deb
        shift
        biogate_pkg_changes "$src" >/dev/null || return 1
        [ $# -gt 0 ] || set -- "${BIOGATE_PKG_NAMES[@]}"
        for name in "$@"; do
                deb=$(find "$src/build-deb" -maxdepth 1 -name "${name}_*.deb" 2>/dev/null | sort | head -n 1)
                if [ -z "$deb" ]; then
                        echo "no $name package in $src/build-deb: run scripts/package first" >&2
                        return 1
                fi
                echo "$deb"
        done
}

# Fails (returns 1) unless every overlay is in place, whatever the caller's
# errexit: a caller that goes on would install into the host's own files.
biogate_pkg_overlay() {
        local root=$1 dir
        mount -t tmpfs -o mode=0700 tmpfs "$root" || return 1
        for dir in usr etc var; do
                mkdir -p "$root/$dir/upper" "$root/$dir/work" "$root/lower/$dir" || return 1
                # The host's tree as it is, to compare the uppers with.
                mount --bind "/$dir" "$root/lower/$dir" || return 1
                mount -o remount,bind,ro "$root/lower/$dir" || return 1
                mount -t overlay overlay \
                        -o "lowerdir=/$dir,upperdir=$root/$dir/upper,workdir=$root/$dir/work" "/$dir" || return 1
        done
        biogate_pkg_check_mounts overlay /usr /etc /var
}

# Fails, naming it, unless each DIR is a mount point of file system TYPE.
#   biogate_pkg_check_mounts TYPE DIR...
biogate_pkg_check_mounts() {
        local type=$1 dir
        shift
        for dir in "$@"; do
                if [ "$(findmnt -n -o FSTYPE --mountpoint "$dir" | tail -n 1)" != "$type" ]; then
                        echo "$dir is not a mount point of type $type: refusing to go on" >&2
                        return 1
                fi
        done
}

# One line per file, directory or whiteout in the uppers that is not
# dpkg's own bookkeeping (its database, its log, debconf's answers), not a
# trigger's index that names nothing of ours, and not byte for byte the
# host's file (a cache rebuilt by a trigger, a PAM file
# that pam-auth-update wrote back as it was). Directories count only if the
# host lacks them.
# Whether two group files differ in the biogate-approvers line alone.
biogate_pkg_same_but_group() {
        [ -f "$1" ] && [ -f "$2" ] &&
                cmp -s <(grep -v '^biogate-approvers:' "$1") <(grep -v '^biogate-approvers:' "$2")
}

biogate_pkg_leftovers() {
        local root=$1 dir path rel
        for dir in usr etc var; do
                (cd "$root/$dir/upper" && find . -mindepth 1 | sort) | while IFS= read -r rel; do
                        rel=${rel#./}
                        path=/$dir/$rel
                        local upper=$root/$dir/upper/$rel lower=$root/lower/$dir/$rel
                        case $path in
                        /var/lib/dpkg/* | /var/log/dpkg.log | /var/cache/debconf/*) continue ;;
                        # man-db's trigger updates its index with mandb
                        # --no-purge: pages of removed packages leave it at its
                        # daily run (man-db.timer), as for every package.
                        /var/cache/man/*) continue ;;
                        # biogate.postinst (dh_installsysusers) adds the
                        # biogate-approvers group; like every system group in
                        # Debian it stays after a purge (a new group of that
                        # name must not inherit files the old one owned).
                        # Nothing else in these files may change.
                        /etc/group | /etc/gshadow | /etc/group- | /etc/gshadow-)
                                if ! biogate_pkg_same_but_group "$upper" "$lower" &&
                                   ! biogate_pkg_same_but_group "$upper" "$root/lower/etc/${rel%-}"; then
                                        echo "changed beyond the biogate-approvers group: $path"
                                fi
                                continue
                                ;;
                        # libc-bin's trigger rebuilds this index (with times in
                        # it): fine once it names nothing of ours.
                        /var/cache/ldconfig/aux-cache)
                                if [ -f "$upper" ] && grep -a -q -i biogate "$upper"; then
                                        echo "still names biogate: $path"
                                fi
                                continue
                                ;;
                        esac
                        if [ -c "$upper" ] && [ "$(stat -c %t:%T "$upper")" = 0:0 ]; then
                                echo "deleted: $path"
                        elif [ -d "$upper" ] && [ ! -L "$upper" ]; then
                                [ -d "$lower" ] || echo "new directory: $path"
                        elif [ ! -e "$lower" ] && [ ! -L "$lower" ]; then
                                echo "new: $path"
                        elif ! cmp -s "$upper" "$lower"; then
                                echo "changed: $path"
                        fi
                done
        done
}
