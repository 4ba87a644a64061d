"""Chatwoot adapter: soudan as an Agent Bot in a helpline's Chatwoot inbox (issue #14).

Chatwoot (https://github.com/chatwoot/chatwoot, MIT) is the open-source inbox helplines use; it
already connects LINE, web chat and other channels. An *Agent Bot* connected to an inbox receives
that inbox's events as webhooks (``AgentBotListener``: ``message_created``, ``message_updated``,
``conversation_opened``, ``conversation_resolved``, ``webwidget_triggered``) whose body is the
message's or conversation's ``webhook_data`` plus ``event``; it answers through the conversation
API with the bot's access token (header ``api_access_token``):

- ``POST /api/v1/accounts/{account}/conversations/{conversation}/messages`` — ``content``,
  ``message_type: outgoing``, ``private`` (a private note only agents see), ``content_type``
  (``text`` or ``input_select`` with ``content_attributes.items: [{title, value}]``);
- ``POST /api/v1/accounts/{account}/conversations/{conversation}/toggle_status`` — ``status``
  ``pending`` (the bot has it) or ``open`` (the agents have it).

What soudan does
----------------
- A conversation the bot handles is ``pending``. Incoming messages become ``Text`` inputs; a press
  on an ``input_select`` option (``message_updated`` with ``content_attributes.submitted_values``)
  becomes a ``Pick``. Questions go out as ``input_select`` (on channels that cannot show it, such
  as LINE through Chatwoot, the options are also numbered in the text, and a typed number picks);
  windows as text (name, phone, open-now status, link).
- At a consented hand-off (:mod:`bot.engine.handoff`) the summary is posted as a **private note**
  (answers, urgency, windows shown, time — never typed text) and the conversation is set ``open``
  for the counsellors. While a human has the conversation (status ``open``/``resolved``…), soudan
  is silent in it — except that a hand-off nobody has taken yet can still be withdrawn
  (「やっぱりやめる」) and times out with the 24-hour lines, and 「データ削除」 always deletes the
  person's data (the hand-off ends; the counsellors get a note). An agent's public reply marks the
  hand-off taken; resolving the conversation hands it back to the bot.

Modules (one room each; the public names are re-exported here)
--------------------------------------------------------------
- :mod:`.webhook` — HTTP only: the secret URL, body limits, account and inbox (:func:`setup`);
- :mod:`.handler` — the events: who has the conversation, out-of-order messages, the hand-off
  sink (:class:`ChatwootAdapter`);
- :mod:`.mapping` — webhook bodies → engine inputs, replies → message bodies (pure; :func:`render`);
- :mod:`.client` — Chatwoot's API: messages, private notes, status (:class:`ChatwootApi`).

Privacy: the store key is the keyed hash of ``<account>:<conversation>``; nothing typed is logged.
"""

from bot.adapters.chatwoot.client import API_TIMEOUT, ChatwootApi, ChatwootConfig
from bot.adapters.chatwoot.handler import ChatwootAdapter
from bot.adapters.chatwoot.mapping import BOT_STATUS, PLATFORM, render
from bot.adapters.chatwoot.webhook import MAX_BODY, ChatwootWebhook, setup

__all__ = ["API_TIMEOUT", "BOT_STATUS", "MAX_BODY", "PLATFORM", "ChatwootAdapter", "ChatwootApi", "ChatwootConfig",
           "ChatwootWebhook", "render", "setup"]
