"""clinic-bot: the clinic's Telegram bot (see the README's "Architecture" for a map)."""
