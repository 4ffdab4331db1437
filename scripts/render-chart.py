#!/usr/bin/env python3
"""Renders this project's Helm chart where helm itself is not installed (schema validation, the controller's
chart test).

Supports exactly the template subset the chart uses, with Helm's whitespace trimming ({{- and -}}), and fails on
anything else so that the chart cannot silently outgrow it:
  {{ .Values.a.b }}, {{ .Release.Namespace }}, {{ .Release.Name }}, {{ toYaml .Values.a | indent N }},
  {{ if .Values.a }} / {{ if not .Values.a }} / {{ if semverCompare ">=1.27-0" .Capabilities.KubeVersion.Version }},
  {{ else }}, {{ end }}.
Truthiness is Go template's: false, 0, "", null and empty maps or lists are false. Values files given later
override earlier ones (maps merge).

usage: render-chart.py CHART_DIR [--namespace NS] [--kube-version 1.30.0] [--values FILE ...]
"""
import argparse
import os
import re
import sys

import yaml

ACTION = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.S)


def merge(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def lookup(values, path, where):
    node = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            sys.exit(f"{where}: .Values.{path}: no such value")
        node = node[part]
    return node


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def version_tuple(text):
    parts = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not parts:
        sys.exit(f"not a version: {text}")
    return tuple(int(p or 0) for p in parts.groups())


def condition(expr, values, capabilities, where):
    m = re.fullmatch(r"(not )?\.Values\.([A-Za-z0-9_.]+)", expr)
    if m:
        value = lookup(values, m.group(2), where)
        return bool(value) != bool(m.group(1))
    m = re.fullmatch(r'semverCompare "(>=|<)\s*([0-9.]+)(?:-0)?" \.Capabilities\.KubeVersion\.Version', expr)
    if m:
        ok = version_tuple(capabilities["KubeVersion"]) >= version_tuple(m.group(2))
        return ok if m.group(1) == ">=" else not ok
    sys.exit(f"{where}: unsupported condition {{{{ if {expr} }}}} (see scripts/render-chart.py)")


def expression(expr, values, release, capabilities, where):
    if expr == ".Release.Namespace":
        return release["Namespace"]
    if expr == ".Release.Name":
        return release["Name"]
    if expr == ".Capabilities.KubeVersion.Version":
        return capabilities["KubeVersion"]
    m = re.fullmatch(r"\.Values\.([A-Za-z0-9_.]+)", expr)
    if m:
        return scalar(lookup(values, m.group(1), where))
    m = re.fullmatch(r"toYaml \.Values\.([A-Za-z0-9_.]+) \| indent (\d+)", expr)
    if m:
        dumped = yaml.safe_dump(lookup(values, m.group(1), where), default_flow_style=False, sort_keys=True)
        pad = " " * int(m.group(2))
        return "\n".join(pad + line if line else line for line in dumped.rstrip("\n").split("\n"))
    sys.exit(f"{where}: unsupported template action {{{{ {expr} }}}} (see scripts/render-chart.py)")


def render(text, values, release, capabilities, where):
    # Split into literal text and actions, applying the trim markers to the neighbouring text.
    pieces = []
    position = 0
    for match in ACTION.finditer(text):
        literal = text[position:match.start()]
        if match.group(1):
            literal = literal.rstrip(" \t\n\r")
        pieces.append(("text", literal))
        pieces.append(("action", match.group(2), bool(match.group(3))))
        position = match.end()
    pieces.append(("text", text[position:]))
    out = []
    stack = []  # (active before this block, this branch taken, any branch taken)
    active = True
    trim_next = False
    for piece in pieces:
        if piece[0] == "text":
            literal = piece[1].lstrip(" \t\n\r") if trim_next else piece[1]
            trim_next = False
            if active:
                out.append(literal)
            continue
        _, expr, trim_next = piece
        if expr.startswith("if "):
            taken = condition(expr[3:].strip(), values, capabilities, where) if active else False
            stack.append((active, taken))
            active = active and taken
        elif expr == "else":
            if not stack:
                sys.exit(f"{where}: else without if")
            outer, taken = stack[-1]
            active = outer and not taken
            stack[-1] = (outer, True)
        elif expr == "end":
            if not stack:
                sys.exit(f"{where}: end without if")
            active, _ = stack.pop()
        elif active:
            out.append(expression(expr, values, release, capabilities, where))
    if stack:
        sys.exit(f"{where}: if without end")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chart")
    parser.add_argument("--namespace", default="extension-runtime-gvisor")
    parser.add_argument("--kube-version", default="1.30.0", help="the seed's Kubernetes version (.Capabilities)")
    parser.add_argument("--values", action="append", default=[])
    args = parser.parse_args()
    with open(os.path.join(args.chart, "values.yaml")) as f:
        values = yaml.safe_load(f) or {}
    for extra in args.values:
        with open(extra) as f:
            merge(values, yaml.safe_load(f) or {})
    release = {"Namespace": args.namespace, "Name": "runtime-gvisor"}
    capabilities = {"KubeVersion": "v" + args.kube_version.lstrip("v")}
    templates = os.path.join(args.chart, "templates")
    documents = []
    for name in sorted(os.listdir(templates)):
        if not name.endswith(".yaml"):
            continue
        path = os.path.join(templates, name)
        with open(path) as f:
            rendered = render(f.read(), values, release, capabilities, path).strip("\n")
        if not rendered.strip() or all(line.lstrip().startswith("#") for line in rendered.splitlines() if line.strip()):
            continue  # a template switched off entirely
        documents.append(f"# Source: {os.path.relpath(path, args.chart)}\n" + rendered + "\n")
    sys.stdout.write("---\n".join(documents))


if __name__ == "__main__":
    main()
