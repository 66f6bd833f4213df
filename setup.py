"""Compile the translations (.po, in the repository) to .mo files when the package is built or
installed; everything else about the package is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).resolve().parent / "bot" / "text" / "locale"


def compile_translations(root: Path) -> list[Path]:
    """Write each bot/text/locale/<lang>/LC_MESSAGES/messages.po, compiled, under `root`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        mo = root / "bot" / "text" / "locale" / po.relative_to(LOCALE).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with open(po, "rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with open(mo, "wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


class build_py_with_translations(build_py):
    def run(self):
        super().run()
        # An editable install reads the source tree, so its .mo files go beside the .po files.
        editable = getattr(self, "editable_mode", False)
        compile_translations(LOCALE.parent.parent.parent if editable else Path(self.build_lib))


if __name__ == "__main__":  # as setuptools runs it
    setup(cmdclass={"build_py": build_py_with_translations})
