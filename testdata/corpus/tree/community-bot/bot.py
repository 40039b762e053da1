"""Community bot: mirrors announcements from Discord to Telegram and Slack."""
import asyncio
import logging
import os

import discord
from telegram import Bot

logging.basicConfig(level=logging.INFO)

DISCORD_TOKEN = os.getenv("DISCORD_TOKEN", "NTU4ODUwMzk4NzU5MDQzMjcy.SWAUlP.jrtLq2Aicnszvw9FC13oP-VprYKLF9QLXKg-rE")
TELEGRAM_TOKEN = os.getenv("TELEGRAM_TOKEN")
ANNOUNCE_CHANNEL_ID = 1567461756912949042
TELEGRAM_CHAT = "@acme_announcements"

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)
tg = Bot(TELEGRAM_TOKEN or "8236493669:AAZoMgWqzw8K_ogRD800xcaclkiCj81OO3q")


@client.event
async def on_message(message: discord.Message):
    if message.channel.id != ANNOUNCE_CHANNEL_ID or message.author.bot:
        return
    await tg.send_message(chat_id=TELEGRAM_CHAT, text=message.content)


if __name__ == "__main__":
    client.run(DISCORD_TOKEN)
