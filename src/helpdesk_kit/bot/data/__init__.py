"""Data files shipped with the bot: starter intent examples (``intents.<locale>.tsv``)."""
