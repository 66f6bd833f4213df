"""Where each top-level command lives, and its one line in `commonpurse --help`.

`--help` lists commands from here without importing their modules (and the services those
load), and a command's module is imported only when it is run; each command takes its summary
from here too (`summary`), so the line is written once."""

# name: (module:attribute, summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("bot.cli.database:db_group", "The database schema."),
    "backup": ("bot.cli.backup:backup", "Copy the database while it runs."),
    "restore": ("bot.cli.backup:restore", "Restore a backup into an empty database, and check it."),
    "community": ("bot.cli.community:community_group", "Communities and their settings."),
    "organiser": ("bot.cli.organisers:organiser_group", "Organiser accounts."),
    "token": ("bot.cli.organisers:token_group", "API tokens for the JSON API."),
    "ideas": ("bot.cli.ideas:ideas_group", "Residents' ideas."),
    "services": ("bot.cli.referrals:services_group", "The council's services ideas are referred to."),
    "round": ("bot.cli.rounds:round_group", "Poll rounds: residents vote, a fair rule allocates the money."),
    "budget": ("bot.cli.budget:budget_group", "The community's money: allocations, spending, updates."),
    "announce": (
        "bot.cli.announce:announce_command",
        "Send news that is not about the money to members, or to some of them.",
    ),
    "residents": ("bot.cli.residents:residents_group", "Residents' records (subject access requests)."),
    "project": ("bot.cli.projects:project_group", "Funded projects: their progress, and news to supporters."),
    "digest": ("bot.cli.digest:digest_group", "The council's weekly digest."),
    "council": (
        "bot.cli.council:council_group",
        "Councils, the communities they follow, their officers.",
    ),
    "export": ("bot.cli.export:export_group", "A community's data in open standards."),
    "audit": ("bot.cli.audit:audit", "Organisers' changes, and checking the record."),
    "chat": ("bot.cli.chat:chat", "Talk to the bot in the terminal."),
    "worker": ("bot.cli.run:worker", "Run a dispatcher alone; run several for more throughput."),
    "telegram": ("bot.cli.telegram:telegram_group", "The Telegram bot: webhook or long polling."),
    "whatsapp": ("bot.cli.whatsapp:whatsapp_group", "WhatsApp: message templates and the sender."),
    "verify": ("bot.cli.verify:verify", "Recount a published .pb file, with no database."),
}


def summary(name: str) -> str:
    """The command's line in `commonpurse --help`."""
    return COMMANDS[name][1]
