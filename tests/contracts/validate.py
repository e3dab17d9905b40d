"""Validates a dataset's exports against its data contracts.

usage: validate.py DIR NAME
DIR holds NAME.csv and NAME.ndjson (`lgsp export`) and NAME.frictionless.json and
NAME.jsonschema.json (`lgsp schema`). The catalogs the foreign keys point at are not part of the
data package here, so the foreign keys are left out of the Frictionless check. Prints one line
per problem and `ok` when there is none; exits 1 on a problem.
"""
import json
import sys

import frictionless
import jsonschema

directory, name = sys.argv[1], sys.argv[2]
problems = []

with open(f"{directory}/{name}.frictionless.json", encoding="utf-8") as f:
    table_schema = json.load(f)
table_schema.pop("foreignKeys", None)
resource = frictionless.Resource(
    path=f"{name}.csv", basepath=directory, schema=frictionless.Schema.from_descriptor(table_schema)
)
report = frictionless.validate(resource)
for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"]):
    problems.append(f"csv row {row} field {field}: {kind}: {note}")

with open(f"{directory}/{name}.jsonschema.json", encoding="utf-8") as f:
    validator = jsonschema.Draft202012Validator(json.load(f), format_checker=jsonschema.FormatChecker())
with open(f"{directory}/{name}.ndjson", encoding="utf-8") as f:
    for number, line in enumerate(f, start=1):
        for error in validator.iter_errors(json.loads(line)):
            problems.append(f"ndjson line {number}: {error.message}")

for p in problems[:20]:
    print(p)
print("ok" if not problems else f"{len(problems)} problems")
sys.exit(1 if problems else 0)
