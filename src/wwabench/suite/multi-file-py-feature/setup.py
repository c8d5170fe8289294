"""Seed-dependent variant: a small to-do tracker that gets a new integer field."""

import json
import random

FIELDS = ["priority", "effort", "weight", "points", "rank", "urgency", "cost", "size"]

MODEL = '''"""The tracker's data model."""

from dataclasses import asdict, dataclass


@dataclass
class Item:
    id: int
    title: str
    done: bool = False

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(id=data["id"], title=data["title"], done=data.get("done", False))
'''

STORE = '''"""The JSON file that holds the items."""

import json
import os

from .model import Item


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [Item.from_dict(d) for d in json.load(f)]


def save(path, items):
    with open(path, "w") as f:
        json.dump([item.to_dict() for item in items], f, indent=2)
        f.write("\\n")


def next_id(items):
    return max((item.id for item in items), default=0) + 1
'''

FMT = '''"""Text output."""


def format_item(item):
    mark = "x" if item.done else " "
    return f"[{mark}] #{item.id} {item.title}"


def format_items(items):
    return "\\n".join(format_item(item) for item in items)
'''

CLI = '''"""Command line: track.py [--db FILE] add TITLE | done ID | list [--all]"""

import argparse
import sys

from . import store
from .fmt import format_items
from .model import Item


def main(argv=None):
    parser = argparse.ArgumentParser(prog="track.py")
    parser.add_argument("--db", default="tracker.json", help="data file")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_add = sub.add_parser("add", help="add an item")
    p_add.add_argument("title")
    p_done = sub.add_parser("done", help="mark an item done")
    p_done.add_argument("id", type=int)
    p_list = sub.add_parser("list", help="list open items")
    p_list.add_argument("--all", action="store_true", help="include done items")
    args = parser.parse_args(argv)

    items = store.load(args.db)
    if args.cmd == "add":
        item = Item(id=store.next_id(items), title=args.title)
        items.append(item)
        store.save(args.db, items)
        print(f"added #{item.id}")
    elif args.cmd == "done":
        for item in items:
            if item.id == args.id:
                item.done = True
                store.save(args.db, items)
                print(f"done #{item.id}")
                break
        else:
            print(f"no item #{args.id}", file=sys.stderr)
            return 1
    elif args.cmd == "list":
        shown = [item for item in items if args.all or not item.done]
        if shown:
            print(format_items(shown))
    return 0
'''

MAIN = '''#!/usr/bin/env python3
import sys

from tracker.cli import main

sys.exit(main())
'''

TITLES = ["Buy milk", "Call the plumber", "Renew passport", "Fix the bike", "Water plants",
          "Pay rent", "Book dentist", "Clean garage", "Write report", "Back up laptop"]


def setup(rng: random.Random) -> dict:
    field = rng.choice(FIELDS)
    default = rng.randint(0, 5)
    titles = rng.sample(TITLES, 4)
    db = [{"id": i + 1, "title": t, "done": rng.random() < 0.3} for i, t in enumerate(titles)]
    files = {
        "tracker/__init__.py": '"""A tiny to-do tracker."""\n',
        "tracker/model.py": MODEL,
        "tracker/store.py": STORE,
        "tracker/fmt.py": FMT,
        "tracker/cli.py": CLI,
        "track.py": MAIN,
        "tracker.json": json.dumps(db, indent=2) + "\n",
    }
    return {"params": {"field": field, "default": str(default)}, "files": files, "executable": ["track.py"]}
