"""`pipeline models list|install`: the Argos zh->en package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import console, out, print_json, user_errors

app = typer.Typer(help="Translation models: list installed, install zh-en (online or from a file).",
                  no_args_is_help=True)


@app.command("list")
def list_models(json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False) -> None:
    """List installed translation packages and say which one `pipeline run` uses."""
    with user_errors():
        from ..packages import DEMO_PACKAGE, choose, installed_models, packages_dir

        unusable: list[tuple[Path, str]] = []
        models = installed_models(unusable)
        chosen = choose(models, "zh", "en")
        rows = [{"name": m.name, "from": m.from_code, "to": m.to_code, "version": m.version,
                 "demo": m.demo, "path": str(m.path), "used_by_run": m == chosen}
                for m in models]
        if json:
            print_json({"installed": rows, "packages_dir": str(packages_dir()),
                        "used_by_run": str(chosen.path) if chosen else "demo",
                        "demo_package": str(DEMO_PACKAGE),
                        "demo_available": DEMO_PACKAGE.is_file(),
                        "unusable": [{"path": str(p), "reason": r} for p, r in unusable]})
            return
        from rich.table import Table

        table = Table("name", "from", "to", "version", "run uses", "path",
                      title="Installed models")
        for r in rows:
            table.add_row(r["name"] + (" [red](demo)[/]" if r["demo"] else ""), r["from"], r["to"],
                          r["version"], "[bold green]yes[/]" if r["used_by_run"] else "",
                          r["path"])
        out.print(table)
        for folder, reason in unusable:
            out.print(f"[yellow]Not usable, ignored:[/] {folder}: {reason}", soft_wrap=True)
        if chosen is not None and not chosen.demo:
            out.print(f"`pipeline run` uses {chosen.name} {chosen.version} "
                      "(the newest installed zh->en; --model DIR overrides).", soft_wrap=True)
        else:
            out.print("No real zh->en model installed: `pipeline run` will use the bundled "
                      "[bold red]DEMO[/] model. Install the real one with "
                      "`pipeline models install zh-en` or `--file X.argosmodel`.", soft_wrap=True)


@app.command("install")
def install(
    pair: Annotated[str | None, typer.Argument(help="Language pair, e.g. zh-en.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Install a .argosmodel file (offline).")] = None,
) -> None:
    """Install the zh-en package from the Argos index (online) or from a .argosmodel file."""
    with user_errors():
        from ..errors import InputError
        from ..model_install import install_file, install_from_index

        if file is not None:
            info = install_file(file)
        else:
            if not pair or "-" not in pair:
                raise InputError("name a language pair (zh-en) or give --file X.argosmodel")
            src, tgt = pair.split("-", 1)
            from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

            # The bar appears when the download starts, so an index error stays one line.
            progress = Progress(*Progress.get_default_columns(), DownloadColumn(),
                                TransferSpeedColumn(), console=console)
            task: list[Any] = []

            def update(done: int, total: int) -> None:
                if not task:
                    progress.start()
                    task.append(progress.add_task(f"Downloading {pair}", total=None))
                progress.update(task[0], completed=done, total=total or None)

            try:
                info = install_from_index(src, tgt, update)
            finally:
                progress.stop()
        out.print(f"Installed {info.label} at {info.path}", soft_wrap=True)
