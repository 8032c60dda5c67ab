"""The clinic's texts (article, prices, reviews) as package data, so they install with the bot."""
