"""Reads the hub through the stock `delta-sharing` client, as a consuming agency would.

    read.py PROFILE SHARE SCHEMA TABLE OTHER_SCHEMA.OTHER_TABLE

Prints one JSON object: the tables the profile lists, the latest snapshot and version 1 (rows,
columns, keys), the change feed from version 2 (rows per _change_type and _commit_version), and
how reading OTHER (a table of the share the client holds no grant on) failed.
"""
import json
import sys
from collections import Counter

import delta_sharing

profile, share, schema, table, other = sys.argv[1:6]
client = delta_sharing.SharingClient(profile)
tables = sorted(f"{t.share}.{t.schema}.{t.name}" for t in client.list_all_tables())
url = f"{profile}#{share}.{schema}.{table}"
latest = delta_sharing.load_as_pandas(url)
first = delta_sharing.load_as_pandas(url, version=1)
limited = delta_sharing.load_as_pandas(url, limit=5)
changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=2, ending_version=2)
key = latest.columns[0]
out = {
    "tables": tables,
    "version": delta_sharing.get_table_version(url),
    "latest": {"rows": len(latest), "columns": list(latest.columns), "keys": sorted(latest[key].astype(str))},
    "first": {"rows": len(first), "keys": sorted(first[key].astype(str))},
    "limited": len(limited),
    "changes": {
        "columns": list(changes.columns),
        "types": dict(Counter(changes["_change_type"])),
        "versions": sorted(set(int(v) for v in changes["_commit_version"])),
    },
}
try:
    delta_sharing.load_as_pandas(f"{profile}#{share}.{other}")
    out["other"] = "read"
except Exception as e:  # the client raises requests' HTTPError with the server's answer
    out["other"] = str(e)[:300]
print(json.dumps(out))
