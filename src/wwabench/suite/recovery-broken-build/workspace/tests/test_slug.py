import unittest

from textkit.slug import slugify


class SlugTest(unittest.TestCase):
    def test_words(self):
        self.assertEqual(slugify("Hello World"), "hello-world")

    def test_punctuation_runs(self):
        self.assertEqual(slugify("Hello,  World!!  2024"), "hello-world-2024")

    def test_edges(self):
        self.assertEqual(slugify("  --Ready? Set, go!--  "), "ready-set-go")


if __name__ == "__main__":
    unittest.main()
