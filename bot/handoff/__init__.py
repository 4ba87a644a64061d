"""People behind the bot (DESIGN.md §11): teams (:mod:`bot.handoff.team`) and the hand-off desk
(:mod:`bot.handoff.desk`). The decisions are the engine's (:mod:`bot.engine.handoff`)."""
