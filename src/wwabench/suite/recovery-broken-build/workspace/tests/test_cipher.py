import unittest

from textkit.cipher import caesar


class CipherTest(unittest.TestCase):
    def test_wraps_around(self):
        self.assertEqual(caesar("xyz", 3), "abc")

    def test_keeps_case_and_punctuation(self):
        self.assertEqual(caesar("Hello, World!", 1), "Ifmmp, Xpsme!")

    def test_round_trip(self):
        self.assertEqual(caesar(caesar("Zebra Quiz", 11), -11), "Zebra Quiz")


if __name__ == "__main__":
    unittest.main()
