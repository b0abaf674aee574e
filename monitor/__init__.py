"""scholarwatch: a scraper and change monitor for researchers' homepages."""

__version__ = "0.1.0"
