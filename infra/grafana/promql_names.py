"""Metric names queried by Faultline's rules and dashboards (python3, stdlib only).

Shared by infra/prometheus/check and infra/grafana/check-metrics so both read
the same expressions the same way.
"""

import glob
import json
import os
import re

INFRA = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = sorted(glob.glob(os.path.join(INFRA, "prometheus", "*.rules.yml")))
DASHBOARDS = sorted(glob.glob(os.path.join(INFRA, "grafana", "*.json")))
LAZY = os.path.join(INFRA, "grafana", "lazy-metrics")

_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
             "group_right", "bool", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names in a PromQL expression: what is left once strings, label
    matchers, ranges, grouping clauses and function calls are taken out."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"(?<![\w:$.])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def rules():
    """(file, records, [(where, expr)]) for every rules file, read with a small
    reader of our own rules layout (`record:`/`alert:` then `expr:`), since
    python3 has no YAML parser in its standard library."""
    out = []
    for path in RULES:
        records, exprs, where = set(), [], None
        lines = open(path, encoding="utf-8").read().splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            m = re.match(r"\s*- (record|alert): (\S+)", line)
            if m:
                where = m.group(2)
                if m.group(1) == "record":
                    records.add(where)
            m = re.match(r"(\s*)expr: ?(.*)$", line)
            if m:
                indent, text = len(m.group(1)), m.group(2)
                if text.strip() in ("|", ">", "|-", ">-"):
                    text, i = "", i + 1
                    while i < len(lines) and (not lines[i].strip() or
                                              len(lines[i]) - len(lines[i].lstrip()) > indent):
                        text += lines[i] + "\n"
                        i += 1
                    i -= 1
                exprs.append((where, text))
            i += 1
        out.append((path, records, exprs))
    return out


def panels(board):
    """Every panel, rows' nested panels included."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs():
    """(file, board, [(panel title, expr)]) for every dashboard."""
    out = []
    for path in DASHBOARDS:
        board = json.load(open(path, encoding="utf-8"))
        exprs = [(p.get("title", "?"), t["expr"])
                 for p in panels(board) for t in p.get("targets", []) if "expr" in t]
        out.append((path, board, exprs))
    return out


def lazy_metrics():
    """Families the services register only at their first event (see the file)."""
    names = set()
    for line in open(LAZY, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line)
    return names
