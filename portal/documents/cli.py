"""`flask --app wsgi wordcount [--json] FILE...`: word counts on the command line, like `wc`.

Plain: `<words>\t<file>` per file, the words being `WordCount.total`. With --json: one JSON object per line
with "file", "total", the parts, "approximate" and "by_colour". A refused file prints `error\t<file>\t<reason>`
(with --json: {"file": ..., "error": reason, "code": ...}) and the exit status is 1.
"""
from __future__ import annotations

import json

import click

from portal.documents.ooxml import RefusedDocument
from portal.documents.wordcount import count_words


@click.command("wordcount")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, with the breakdown.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
def wordcount(as_json: bool, files: tuple[str, ...]) -> None:
    """Count words in .docx (and, approximately, PDF) files as Microsoft Word does."""
    refused = False
    for name in files:
        try:
            count = count_words(name)
        except RefusedDocument as refusal:
            refused = True
            if as_json:
                click.echo(json.dumps({"file": name, "error": refusal.reason, "code": refusal.code}))
            else:
                click.echo(f"error\t{name}\t{refusal.reason}")
            continue
        if as_json:
            click.echo(json.dumps({"file": name, **count.as_dict()}, ensure_ascii=False))
        else:
            click.echo(f"{count.total}\t{name}")
    if refused:
        raise SystemExit(1)
