"""One-line errors for the host tools (run_qemu.py, mkiso.py, scenario.py): a missing
scenario file or a bad scenario line is the user's to fix, and a Python traceback
only hides the one line that says what is wrong."""
import os
import sys

# The exit status of a tool that was given something it cannot use (argparse's, for bad arguments).
EXIT_BAD_INPUT = 2


class ToolError(Exception):
    """What a tool was given is wrong (a scenario line, a missing file): the message says what, in one line."""


def one_line(e):
    """e's message on one line: an OSError as '<file>: <reason>'."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    return " ".join(str(e).split()) or type(e).__name__


def run_main(main):
    """Runs main(); a ToolError or an OSError ends the tool with '<tool>: error: <message>' on
    stderr and EXIT_BAD_INPUT. Anything else is a bug in the tool and keeps its traceback."""
    tool = os.path.basename(sys.argv[0])
    try:
        main()
    except (ToolError, OSError) as e:
        print(f"{tool}: error: {one_line(e)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
