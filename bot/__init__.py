"""soudan: a screening chatbot that routes people facing online harm in Japan to consultation windows."""

__version__ = "0.1.0"
