"""The shop package keeps no tables of its own.

This module exists so that Django sends the ``shop`` app its post_migrate signal
(it skips apps without a models module), which names the site record after the
shop's host (see ShopConfig.ready): without it sitemaps and account emails link
to http://example.com.
"""
