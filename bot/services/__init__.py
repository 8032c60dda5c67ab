"""Business rules of the bot as plain functions: no Telegram calls, no SQL."""
