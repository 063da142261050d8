"""`pipeline models list|install`: the Argos zh->en package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import out, print_json, user_errors

app = typer.Typer(help="Translation models: list installed, install zh-en (online or from a file).",
                  no_args_is_help=True)


@app.command("list")
def list_models(json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False) -> None:
    """List installed Argos translation packages (and the bundled demo)."""
    with user_errors():
        from ..packages import DEMO_PACKAGE, installed_models

        models = installed_models()
        rows = [{"name": m.name, "from": m.from_code, "to": m.to_code, "version": m.version,
                 "demo": m.demo, "path": str(m.path)} for m in models]
        if json:
            print_json({"installed": rows, "demo_package": str(DEMO_PACKAGE),
                        "demo_available": DEMO_PACKAGE.is_file()})
            return
        from rich.table import Table

        table = Table("name", "from", "to", "version", "path", title="Installed models")
        for r in rows:
            table.add_row(r["name"] + (" [red](demo)[/]" if r["demo"] else ""), r["from"], r["to"],
                          r["version"], r["path"])
        out.print(table)
        if not any(m.from_code == "zh" and m.to_code == "en" and not m.demo for m in models):
            out.print("No real zh->en model installed: `pipeline run` will use the bundled "
                      "[bold red]DEMO[/] model. Install the real one with "
                      "`pipeline models install zh-en` or `--file X.argosmodel`.")


@app.command("install")
def install(
    pair: Annotated[str | None, typer.Argument(help="Language pair, e.g. zh-en.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Install a .argosmodel file (offline).")] = None,
) -> None:
    """Install the zh-en package from the Argos index (online) or from a .argosmodel file."""
    with user_errors():
        from ..errors import InputError
        from ..packages import install_file, install_from_index

        if file is not None:
            info = install_file(file)
        else:
            if not pair or "-" not in pair:
                raise InputError("name a language pair (zh-en) or give --file X.argosmodel")
            src, tgt = pair.split("-", 1)
            from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

            with Progress(*Progress.get_default_columns(), DownloadColumn(),
                          TransferSpeedColumn()) as progress:
                task = progress.add_task(f"Downloading {pair}", total=None)

                def update(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total or None)

                info = install_from_index(src, tgt, update)
        out.print(f"Installed {info.label} at {info.path}")
