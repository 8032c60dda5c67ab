"""Try the whole bot without Telegram: `clinic-bot preview` (see `bot.preview.core`)."""
