"""The ``soudan`` command (DESIGN.md §6): chat, serve, validate, test, nlu, graph, contacts, schema, line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import cast

from bot import __version__

__all__ = ["build_parser", "main"]


def _lazy(module: str, func: str = "main") -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        mod = importlib.import_module(module)
        return cast(int, getattr(mod, func)(args))
    return call


def _chat(args: argparse.Namespace) -> int:
    from bot.adapters import terminal
    from bot.errors import ProblemsError
    from bot.loading import load_engine
    from bot.settings import Settings
    from bot.timeutil import now_jst, parse_at

    settings = Settings()
    try:
        engine = load_engine(settings)
    except ProblemsError as exc:
        print("soudan: the flows or the directory have errors; fix them and start again:", file=sys.stderr)
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. SOUDAN_DEFAULT_FLOW names no flow
        print(f"soudan: {exc}", file=sys.stderr)
        return 2
    if args.flow and args.flow not in engine.flows:
        print(f"soudan: unknown flow {args.flow!r}; available: {', '.join(sorted(engine.flows))}", file=sys.stderr)
        return 2
    if args.at is not None:
        try:
            frozen = parse_at(args.at)
        except ValueError as exc:
            print(f"soudan: --at: {exc}", file=sys.stderr)
            return 2
        clock = lambda: frozen  # noqa: E731
    else:
        clock = now_jst
    return terminal.run(engine, clock, flow_id=args.flow, locale=args.lang, jsonl=args.jsonl)


def port_number(value: str) -> int:
    """An argparse ``type`` for a TCP port: the integer 1–65535 in ``value``.

    Raises:
        argparse.ArgumentTypeError: for text that is no integer or a port out of range.
    """
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range; use 1–65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``soudan`` command."""
    p = argparse.ArgumentParser(prog="soudan", description="相談窓口案内ボット soudan — route people facing "
                                "online harm in Japan to the right consultation window.")
    p.add_argument("--version", action="version", version=f"soudan {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("chat", help="chat in the terminal (scriptable when stdin is not a terminal)")
    c.add_argument("--flow", help="flow id to start (default: the default flow)")
    c.add_argument("--at", metavar="ISO-TIME", help="freeze the clock, e.g. 2026-12-31T22:00+09:00")
    c.add_argument("--lang", choices=["ja", "en"], default=None, help="language (default ja)")
    c.add_argument("--jsonl", action="store_true", help="print one JSON object per turn")
    c.set_defaults(func=_chat)

    s = sub.add_parser("serve", help="run the web server: LINE webhook, simulator, /healthz, /metrics, Discord")
    s.add_argument("--host", default=None, help="bind address (default SOUDAN_HOST or 127.0.0.1)")
    s.add_argument("--port", type=port_number, default=None, help="port 1–65535 (default SOUDAN_PORT or 8080)")
    s.set_defaults(func=_lazy("bot.serve"))

    v = sub.add_parser("validate", help="check flows and the directory; file:line messages; exit 1 on error")
    v.add_argument("paths", nargs="*", help="flow/directory files or folders (default: flows/ and directory/)")
    v.add_argument("--format", choices=["text", "github"], default="text", help="output format")
    v.set_defaults(func=_lazy("bot.validate"))

    t = sub.add_parser("test", help="run transcripts (flows/tests/*.yaml) with coverage")
    t.add_argument("paths", nargs="*", help="transcript files or folders (default: flows/tests/)")
    t.set_defaults(func=_lazy("bot.toolkit.transcripts"))

    n = sub.add_parser("nlu", help="run the labelled corpus (flows/tests/nlu/*.yaml): accuracy per question, "
                       "confusions, crisis recall, idiom false alarms; exit 1 below the floors")
    n.add_argument("paths", nargs="*", help="corpus files or folders (default: flows/tests/nlu/)")
    n.add_argument("--question", metavar="ID", default=None, help="only this ask state's corpus")
    n.add_argument("--json", action="store_true", help="JSON output")
    n.set_defaults(func=_lazy("bot.nlu.corpus"))

    g = sub.add_parser("graph", help="draw a flow as Mermaid or Graphviz dot")
    g.add_argument("flow", help="flow id")
    g.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    g.set_defaults(func=_lazy("bot.toolkit.graph"))

    k = sub.add_parser("contacts", help="search the contact directory with open-now status")
    k.add_argument("query", nargs="?", default=None,
                   help="words to look for (name, org, number, what it is for, who may use it, channel, hours)")
    k.add_argument("--topic", default=None, help="situation code: DEF defamation, HAR harassment, DOX exposed personal data, THR threats, "
                   "STK stalking, NCII intimate images, BUL cyberbullying, ATO account takeover, SV sexual "
                   "violence, DV partner violence, CHILD child abuse, CONS consumer, DIS distress, EMG emergency")
    k.add_argument("--open-now", action="store_true",
                   help="only windows a person answers at that time (open or 24 h by phone, chat or LINE; not forms)")
    k.add_argument("--at", metavar="ISO-TIME", default=None, help="the time to evaluate (default: now)")
    k.add_argument("--json", action="store_true", help="JSON output")
    k.set_defaults(func=_lazy("bot.contacts.command"))

    sc = sub.add_parser("schema", help="print JSON Schemas of flows, transcripts and the directory")
    sc.add_argument("--write", metavar="DIR", default=None, help="write *.schema.json files into DIR")
    sc.set_defaults(func=_lazy("bot.toolkit.schema"))

    _line_commands(sub.add_parser("line", help="LINE without a LINE account: send signed webhook events, "
                                  "run the fake Messaging API and its viewer, set up the rich menu"))
    return p


_SIGN_BY_HAND = """signing by hand: X-Line-Signature is base64(HMAC-SHA256(channel secret, the exact body bytes)):
  body='{"destination":"Udev","events":[]}'
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac soudan-dev-channel-secret -binary | base64)
  curl -i -H 'Content-Type: application/json' -H "X-Line-Signature: $sig" \\
       --data-binary "$body" http://127.0.0.1:8080/line/webhook"""


def _line_commands(ln: argparse.ArgumentParser) -> None:
    """``soudan line send | fake | dev | richmenu``."""
    import bot.devtools as dev

    lsub = ln.add_subparsers(dest="line_command", required=True, metavar="SUBCOMMAND")
    send = lsub.add_parser("send", help="build a webhook event (text, postback, follow), sign it with the channel "
                           "secret and post it to the bot; prints the HTTP status",
                           epilog=_SIGN_BY_HAND, formatter_class=argparse.RawDescriptionHelpFormatter)
    dev.send_arguments(send)
    send.set_defaults(func=_lazy("bot.devtools.line_webhook"))
    fake = lsub.add_parser("fake", help="serve the fake Messaging API with a viewer of every message sent")
    dev.fake_arguments(fake)
    fake.set_defaults(func=_lazy("bot.devtools.line_fake"))
    dv = lsub.add_parser("dev", help="the fake Messaging API + viewer and soudan serve wired to it (make line-dev)")
    dev.dev_arguments(dv)
    dv.set_defaults(func=_lazy("bot.devtools.line_dev"))
    rm = lsub.add_parser("richmenu", help="render the rich menu (ja, en), upload it through the Messaging API, make the "
                         "Japanese one the default and delete the menus it replaces")
    rm.add_argument("--dry-run", action="store_true", help="only render and check the menus; call no API")
    rm.add_argument("--out", metavar="DIR", default=None, help="also write richmenu-<locale>.png and .json into DIR "
                    "(with --dry-run the default is var/richmenu)")
    rm.set_defaults(func=_lazy("bot.adapters.line.richmenu"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``soudan`` console script. Returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # `soudan … | head`: the reader has gone; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
