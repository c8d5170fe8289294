"""The same results for people: terminal tables, HTML pages, a static report."""
