"""Seed-dependent variant: a small pricing package whose line-price function is renamed."""

import random

PACKAGES = ["ledger", "tariff", "billing", "invoicer", "shipping", "payroll", "pricing", "checkout", "orderbook", "till"]
OLD_NAMES = ["calc", "compute_cost", "line_cost", "price_line", "cost_of", "calc_amount", "get_price", "price_for"]
NEW_NAMES = ["line_total", "extended_price", "amount_for", "charge_for", "total_for", "line_amount", "priced"]

INIT = '''"""@PKG@: small helpers to price order lines."""

from .rates import @OLD@, RATE

__all__ = ["@OLD@", "RATE"]
'''

RATES = '''"""Price of one order line."""

RATE = @RATE@  # surcharge on the unit price, in percent


def @OLD@(cents, qty):
    """Price of `qty` units costing `cents` each, surcharge included.

    The surcharge is rounded down to whole cents per unit.
    """
    unit = cents + cents * RATE // 100
    return unit * qty
'''

ORDERS = '''"""Orders are lists of (cents, qty) lines."""

from .rates import @OLD@


def order_total(lines):
    """Total price of all lines of an order."""
    total = 0
    for cents, qty in lines:
        total += @OLD@(cents, qty)
    return total


def most_expensive(lines):
    """The (cents, qty) line with the highest price, or None for an empty order."""
    best = None
    for line in lines:
        if best is None or @OLD@(*line) > @OLD@(*best):
            best = line
    return best
'''

INVOICE = '''"""Invoice formatting."""

from . import rates
from .orders import order_total


def format_line(name, cents, qty):
    amount = rates.@OLD@(cents=cents, qty=qty)
    return f"{name:<10} {qty:>4} x {cents / 100:>8.2f} = {amount / 100:>10.2f}"


def invoice(lines):
    """Invoice text for (name, cents, qty) items."""
    out = [format_line(name, cents, qty) for name, cents, qty in lines]
    out.append(f"{'TOTAL':<10} {order_total([(c, q) for _, c, q in lines]) / 100:>27.2f}")
    return "\\n".join(out)
'''

MAIN = '''"""Usage: python3 -m @PKG@ NAME:CENTS:QTY ..."""

import sys

from .invoice import invoice


def main(argv):
    items = []
    for arg in argv:
        name, cents, qty = arg.split(":")
        items.append((name, int(cents), int(qty)))
    print(invoice(items))


main(sys.argv[1:])
'''

TESTS = '''import unittest

from @PKG@ import RATE, @OLD@
from @PKG@.orders import most_expensive, order_total


class PriceTest(unittest.TestCase):
    def test_single_unit(self):
        self.assertEqual(@OLD@(200, 1), 200 + 200 * RATE // 100)

    def test_several_units(self):
        self.assertEqual(@OLD@(@C1@, @Q1@), @Q1@ * (@C1@ + @C1@ * RATE // 100))

    def test_order_total(self):
        lines = [(@C1@, @Q1@), (@C2@, @Q2@)]
        self.assertEqual(order_total(lines), @OLD@(@C1@, @Q1@) + @OLD@(@C2@, @Q2@))

    def test_most_expensive(self):
        self.assertEqual(most_expensive([(500, 1), (120, 9), (90, 2)]), (120, 9))


if __name__ == "__main__":
    unittest.main()
'''


def fill(text, values):
    for key, value in values.items():
        text = text.replace("@" + key + "@", str(value))
    return text


def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PACKAGES)
    old = rng.choice(OLD_NAMES)
    new = rng.choice(NEW_NAMES)
    rate = rng.randint(7, 35)
    values = {
        "PKG": pkg, "OLD": old, "RATE": rate,
        "C1": rng.randint(101, 999), "Q1": rng.randint(2, 9),
        "C2": rng.randint(101, 999), "Q2": rng.randint(2, 9),
    }
    files = {
        f"{pkg}/__init__.py": fill(INIT, values),
        f"{pkg}/rates.py": fill(RATES, values),
        f"{pkg}/orders.py": fill(ORDERS, values),
        f"{pkg}/invoice.py": fill(INVOICE, values),
        f"{pkg}/__main__.py": fill(MAIN, values),
        f"test_{pkg}.py": fill(TESTS, values),
    }
    return {"params": {"pkg": pkg, "old": old, "new": new, "rate": str(rate)}, "files": files}
