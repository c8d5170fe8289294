import unittest

from textkit.stats import top_words


class StatsTest(unittest.TestCase):
    def test_counts(self):
        self.assertEqual(top_words("The cat and the hat. THE END", 2), [("the", 3), ("and", 1)])

    def test_ties_alphabetical(self):
        self.assertEqual(top_words("b a c a b", 3), [("a", 2), ("b", 2), ("c", 1)])


if __name__ == "__main__":
    unittest.main()
