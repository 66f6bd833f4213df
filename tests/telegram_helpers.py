"""Driving the Telegram webhook as Telegram does: real-shaped updates with the secret header, and
a user who sends text, presses buttons and reads what the fake Bot API was asked to send."""

import itertools

SECRET = "s3cret-token_for-tests"

update_ids = itertools.count(500_000)


def user(user_id: int, name: str = "Ann") -> dict:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


def message_update(user_id: int, text: str | None = None, chat_type: str = "private", **extra) -> dict:
    message = {
        "message_id": next(update_ids) % 1000,
        "date": 1795600000,
        "from": user(user_id),
        "chat": {
            "id": user_id if chat_type == "private" else -100123,
            "type": chat_type,
            "first_name": "Ann",
        },
        **extra,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(update_ids), "message": message}


def callback_update(user_id: int, data: str) -> dict:
    return {
        "update_id": next(update_ids),
        "callback_query": {
            "id": f"cbq{next(update_ids)}",
            "from": user(user_id),
            "chat_instance": "-8812",
            "data": data,
            "message": {
                "message_id": 7,
                "date": 1795600000,
                "text": "Hi!",
                "chat": {"id": user_id, "type": "private", "first_name": "Ann"},
                "from": {"id": 4242, "is_bot": True, "first_name": "Common Purse"},
            },
        },
    }


class TelegramUser:
    def __init__(self, app, fake, dispatcher, user_id: int = 111):
        self.client, self.fake, self.dispatcher, self.id = app.test_client(), fake, dispatcher, user_id

    def post(self, update: dict, secret: str | None = SECRET):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=update, headers=headers)

    def deliver(self, update: dict) -> list[str]:
        response = self.post(update)
        assert response.status_code == 200, response.data
        self.last_response = response.json
        return self.receive()

    def receive(self) -> list[str]:
        before = len(self.fake.sent(self.id))
        while self.dispatcher.run_once():
            pass
        return self.fake.texts(self.id)[before:]

    def send(self, text: str) -> list[str]:
        return self.deliver(message_update(self.id, text))

    def press(self, data: str) -> list[str]:
        return self.deliver(callback_update(self.id, data))

    def share_contact(self, phone: str, owner: int | None = None) -> list[str]:
        contact = {"phone_number": phone, "first_name": "Ann", "user_id": owner or self.id}
        return self.deliver(message_update(self.id, None, contact=contact))

    def keyboard(self) -> dict:
        return self.fake.sent(self.id)[-1].params.get("reply_markup")
