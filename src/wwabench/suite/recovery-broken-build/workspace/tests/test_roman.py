import unittest

from textkit.roman import to_roman


class RomanTest(unittest.TestCase):
    def test_values(self):
        for number, text in [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"), (90, "XC"),
                             (400, "CD"), (444, "CDXLIV"), (1994, "MCMXCIV"), (3999, "MMMCMXCIX")]:
            self.assertEqual(to_roman(number), text)

    def test_range(self):
        with self.assertRaises(ValueError):
            to_roman(0)


if __name__ == "__main__":
    unittest.main()
