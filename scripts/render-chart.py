#!/usr/bin/env python3
"""Renders this project's Helm chart for schema validation where helm itself is not installed.

Supports exactly the template subset the chart uses, and fails on anything else so that the chart cannot
silently outgrow it: {{ .Values.a.b }}, {{ .Release.Namespace }}, {{ .Release.Name }} and
{{ toYaml .Values.a | indent N }}. Values files given later override earlier ones (maps merge).

usage: render-chart.py CHART_DIR [--namespace NS] [--values FILE ...]
"""
import argparse
import os
import re
import sys

import yaml

ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")


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
    return str(value)


def render(text, values, release, where):
    def action(match):
        expr = match.group(1)
        if expr == ".Release.Namespace":
            return release["Namespace"]
        if expr == ".Release.Name":
            return release["Name"]
        m = re.fullmatch(r"\.Values\.([A-Za-z0-9_.]+)", expr)
        if m:
            return scalar(lookup(values, m.group(1), where))
        m = re.fullmatch(r"toYaml \.Values\.([A-Za-z0-9_.]+) \| indent (\d+)", expr)
        if m:
            dumped = yaml.safe_dump(lookup(values, m.group(1), where), default_flow_style=False, sort_keys=True)
            pad = " " * int(m.group(2))
            return "\n".join(pad + line if line else line for line in dumped.rstrip("\n").split("\n"))
        sys.exit(f"{where}: unsupported template action {{{{ {expr} }}}} (see scripts/render-chart.py)")

    return ACTION.sub(action, text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chart")
    parser.add_argument("--namespace", default="extension-runtime-gvisor")
    parser.add_argument("--values", action="append", default=[])
    args = parser.parse_args()
    with open(os.path.join(args.chart, "values.yaml")) as f:
        values = yaml.safe_load(f) or {}
    for extra in args.values:
        with open(extra) as f:
            merge(values, yaml.safe_load(f) or {})
    release = {"Namespace": args.namespace, "Name": "runtime-gvisor"}
    templates = os.path.join(args.chart, "templates")
    documents = []
    for name in sorted(os.listdir(templates)):
        if not name.endswith(".yaml"):
            continue
        path = os.path.join(templates, name)
        with open(path) as f:
            rendered = render(f.read(), values, release, path)
        documents.append(f"# Source: {os.path.relpath(path, args.chart)}\n" + rendered.rstrip("\n") + "\n")
    sys.stdout.write("---\n".join(documents))


if __name__ == "__main__":
    main()
