#!/usr/bin/env python3
"""Reads systemd unit files the way systemd does, independently of procrun's
quoting code, and prints what a service would run as JSON:

    systemd_units.py UNIT...  ->  {"NAME": {"settings": {...}, "argv": [...],
                                            "env": {...}}}

- unit files: sections, KEY=VALUE (whitespace around both trimmed), comment
  lines starting with '#' or ';', a trailing backslash continuing a line
  (systemd.syntax(7));
- specifiers: only "%%" is expected (it becomes "%"); any other is an error;
- ExecStart: split into words as systemd.service(5) "Command lines" says:
  double or single quotes, C escapes inside and outside quotes, then "$$"
  becomes "$" (a lone "$" would expand a variable, so it is an error here);
- EnvironmentFile: read with the rules of systemd's env-file parser: KEY=VALUE
  lines, '#'/';' comment lines, single quotes literal, double quotes where a
  backslash escapes only " \\ ` $ (and a backslash-newline joins lines), other
  bytes (newlines included) kept as they are.
"""

import json
import sys

C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
             "\\": "\\", '"': '"', "'": "'", "s": " "}


def read_unit(path):
    sections = {}
    current = None
    pending = ""
    with open(path, encoding="utf-8", newline="") as f:
        for raw in f.read().split("\n"):
            line = pending + raw
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                current = stripped[1:-1]
                sections.setdefault(current, {})
                continue
            if current is None or "=" not in stripped:
                raise ValueError(f"{path}: not a setting: {stripped!r}")
            key, value = stripped.split("=", 1)
            sections[current].setdefault(key.strip(), []).append(value.strip())
    return sections


def resolve_specifiers(value):
    out = []
    i = 0
    while i < len(value):
        if value[i] == "%":
            if value[i + 1:i + 2] != "%":
                raise ValueError(f"unexpected specifier in {value!r}")
            out.append("%")
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def cunescape_one(s, i):
    """s[i] is the character after a backslash; returns (text, next index)."""
    c = s[i]
    if c in C_ESCAPES:
        return C_ESCAPES[c], i + 1
    if c == "x":
        return chr(int(s[i + 1:i + 3], 16)), i + 3
    if c in "01234567":
        return chr(int(s[i:i + 3], 8)), i + 3
    if c == "u":
        return chr(int(s[i + 1:i + 5], 16)), i + 5
    if c == "U":
        return chr(int(s[i + 1:i + 9], 16)), i + 9
    raise ValueError(f"invalid escape \\{c}")


def split_command_line(s):
    words = []
    i = 0
    n = len(s)
    while True:
        while i < n and s[i] in " \t\n":
            i += 1
        if i >= n:
            return words
        word = []
        quote = None
        while i < n:
            c = s[i]
            if quote is None and c in " \t\n":
                break
            if c == "\\":
                if i + 1 >= n:
                    raise ValueError("trailing backslash")
                text, i = cunescape_one(s, i + 1)
                word.append(text)
                continue
            if quote is None and c in "'\"":
                quote = c
            elif c == quote:
                quote = None
            else:
                word.append(c)
            i += 1
        if quote is not None:
            raise ValueError(f"unbalanced quoting in {s!r}")
        words.append("".join(word))


def substitute_dollars(word):
    out = []
    i = 0
    while i < len(word):
        if word[i] == "$":
            if word[i + 1:i + 2] != "$":
                raise ValueError(f"unescaped $ (a variable reference) in {word!r}")
            out.append("$")
            i += 2
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def read_env_file(path):
    env = {}
    with open(path, encoding="utf-8", newline="") as f:
        s = f.read()
    i = 0
    n = len(s)
    while i < n:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        if s[i] in "#;":
            while i < n and s[i] != "\n":
                i += 1
            continue
        start = i
        while i < n and s[i] != "=" and s[i] != "\n":
            i += 1
        if i >= n or s[i] != "=":
            raise ValueError(f"{path}: no '=' in {s[start:i]!r}")
        key = s[start:i].strip()
        i += 1
        while i < n and s[i] in " \t":
            i += 1
        value = []  # (text, quoted)
        while i < n and s[i] != "\n":
            c = s[i]
            if c == "'":
                end = s.index("'", i + 1)
                value.append((s[i + 1:end], True))
                i = end + 1
            elif c == '"':
                i += 1
                while s[i] != '"':
                    if s[i] == "\\":
                        nxt = s[i + 1]
                        if nxt in '"\\`$':
                            value.append((nxt, True))
                        elif nxt != "\n":
                            value.append(("\\" + nxt, True))
                        i += 2
                    else:
                        value.append((s[i], True))
                        i += 1
                i += 1
            elif c == "\\":
                value.append((s[i + 1], True))
                i += 2
            else:
                value.append((c, False))
                i += 1
        # Trailing blanks outside quotes are dropped.
        while value and not value[-1][1] and value[-1][0] in " \t":
            value.pop()
        env[key] = "".join(text for text, _ in value)
    return env


def main():
    result = {}
    for path in sys.argv[1:]:
        sections = read_unit(path)
        settings = {f"{sec}.{key}": [resolve_specifiers(v) for v in values]
                    for sec, keys in sections.items() for key, values in keys.items()}
        entry = {"settings": settings}
        service = sections.get("Service", {})
        if "ExecStart" in service:
            words = split_command_line(resolve_specifiers(service["ExecStart"][-1]))
            entry["argv"] = [substitute_dollars(w) for w in words]
        if "EnvironmentFile" in service:
            entry["env"] = read_env_file(resolve_specifiers(service["EnvironmentFile"][-1]))
        result[path.rsplit("/", 1)[-1]] = entry
    json.dump(result, sys.stdout, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    main()
