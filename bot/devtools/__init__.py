"""Tools for developers: a local fake LINE Messaging API with a viewer (:mod:`bot.devtools.line_fake`).

Nothing here runs in production; ``soudan serve`` never imports it.
"""
