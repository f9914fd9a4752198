#!/usr/bin/python3
"""Lists the packages target upgrades over point, each with the date of the target version's newest Debian changelog
entry (from the cached .debs), as tab-separated lines: unix time, source package, package, old version, new version;
sorted by date. Packages whose .deb carries no changelog of its own (it links to another package's doc directory)
take the date of another binary package of the same source.
Usage: upgrade-dates.py POINT.packages TARGET.packages DEBS_DIR"""

import email.utils
import glob
import gzip
import io
import os
import subprocess
import sys
import tarfile


def read_packages(path):
    packages = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2:
                packages[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else parts[0])
    return packages


def changelog_date(deb):
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.endswith("/changelog.Debian.gz") and "/usr/share/doc/" in member.name:
                text = gzip.decompress(archive.extractfile(member).read()).decode("utf-8", "replace")
                for line in text.splitlines():
                    if line.startswith(" -- ") and ">  " in line:
                        return int(email.utils.parsedate_to_datetime(line.split(">  ", 1)[1]).timestamp())
    return None


def main():
    point, target, debs = read_packages(sys.argv[1]), read_packages(sys.argv[2]), sys.argv[3]
    upgraded = [(name, point[name][0], version, source) for name, (version, source) in target.items()
                if name in point and point[name][0] != version]
    dates = {}
    for name, _, version, source in upgraded:
        for deb in glob.glob(os.path.join(debs, f"{name}_*.deb")):
            info = subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True, capture_output=True, text=True).stdout.strip()
            if info == version:
                date = changelog_date(deb)
                if date is not None:
                    dates.setdefault(source, date)
    fallback = max(dates.values()) if dates else 0
    rows = sorted((dates.get(source, fallback), source, name, old, new) for name, old, new, source in upgraded)
    for row in rows:
        print("\t".join(str(v) for v in row))


if __name__ == "__main__":
    main()
