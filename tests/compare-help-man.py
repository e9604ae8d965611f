#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare the options that "nspawn-overlay VERB --help" lists with those nspawn-overlay(1) lists.

The manual page lists the options of each verb under the verb's entry in COMMANDS (indented by
one tab) and the general options in OPTIONS. A verb whose --help shows --version takes the
general options too; the others (diff, prune, restore) parse their own.

Usage: compare-help-man.py CLI MAN_SOURCE
Prints one line per difference and exits 1 if there is any.
"""

import re
import subprocess
import sys

OPTION_IN_HELP = re.compile(r"^\s+(?:-[a-zA-Z],?\s+)?(--[a-z][a-z-]*)")
VERB_IN_MAN = re.compile(r"^\*([a-z][a-z-]*)\*")
OPTION_IN_MAN = re.compile(r"^(\t?)\*(?:-[a-zA-Z]\*, \*)?(--[a-z][a-z-]*)\*")
VERB_IN_HELP = re.compile(r"^  ([a-z][a-z-]*) ")


def help_options(cli, *args):
    output = subprocess.run([cli, *args, "--help"], capture_output=True, text=True, check=True).stdout
    options = set()
    for line in output.splitlines():
        match = OPTION_IN_HELP.match(line)
        if match:
            options.add(match.group(1))
    return options, output


def help_verbs(cli):
    output = subprocess.run([cli, "--help"], capture_output=True, text=True, check=True).stdout
    verbs = []
    in_verbs = False
    for line in output.splitlines():
        if line == "Verbs:":
            in_verbs = True
        elif in_verbs and not line.strip():
            break
        elif in_verbs:
            match = VERB_IN_HELP.match(line)
            if match:
                verbs.append(match.group(1))
    return verbs


def man_options(path):
    """Return (general options, {verb: options}) from the scdoc source."""
    general, per_verb = set(), {}
    section, verbs = None, []
    with open(path, encoding="utf-8") as source:
        for line in source:
            if line.startswith("# "):
                section = line[2:].strip()
                continue
            if section == "COMMANDS":
                match = VERB_IN_MAN.match(line)
                if match:
                    # "*check-base* _NAME_, *prepare* _NAME_, ..." documents several verbs.
                    verbs = re.findall(r"\*([a-z][a-z-]*)\*", line.split("++")[0])
                    for verb in verbs:
                        per_verb.setdefault(verb, set())
                    continue
                match = OPTION_IN_MAN.match(line)
                if match and match.group(1) == "\t":
                    for verb in verbs:
                        per_verb[verb].add(match.group(2))
            elif section == "OPTIONS":
                match = OPTION_IN_MAN.match(line)
                if match and match.group(1) == "":
                    general.add(match.group(2))
    return general, per_verb


def main():
    cli, man_source = sys.argv[1], sys.argv[2]
    general, per_verb = man_options(man_source)
    differences = []

    top_options, _ = help_options(cli)
    for option in sorted(top_options ^ general):
        where = "--help" if option in top_options else "the manual's OPTIONS"
        differences.append(f"general option {option} is only in {where}")

    verbs = help_verbs(cli)
    for verb in sorted(set(verbs) ^ set(per_verb)):
        where = "--help" if verb in verbs else "the manual's COMMANDS"
        differences.append(f"verb {verb} is only in {where}")

    for verb in verbs:
        if verb not in per_verb:
            continue
        options, output = help_options(cli, verb)
        expected = set(per_verb[verb])
        if "--version" in options:
            expected |= general
        else:
            expected.add("--help")
        for option in sorted(options ^ expected):
            where = f"'{verb} --help'" if option in options else f"the manual's entry of {verb}"
            differences.append(f"{verb}: option {option} is only in {where}")

    for line in differences:
        print(line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
