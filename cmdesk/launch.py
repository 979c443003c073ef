"""The `cmdesk` console script: the CLI, with garbage collection paused while it starts.

Starting the app builds a few hundred thousand objects (modules, classes, Textual's
styles) that live as long as the process. The cyclic collector would walk them again
and again as they pile up: about 15% of the CPU spent before the first frame. So
collection is off from the first import; the app turns it back on once started
(`cmdesk.tui.app`, which first freezes what startup built), and any other command
as soon as it is chosen (`cmdesk.cli.main`).
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from cmdesk.cli import main as cli

    cli()
