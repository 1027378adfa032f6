"""Converts the OpenAPI document from YAML to compact JSON: yaml_to_json.py IN OUT."""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as source:
    document = yaml.safe_load(source)
with open(sys.argv[2], "w", encoding="utf-8") as target:
    json.dump(document, target, separators=(",", ":"), ensure_ascii=False)
