"""The typer application every command module registers on, and the process entry point."""

from __future__ import annotations

import decimal
import io
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup, TyperOption

try:  # typer >= 0.26 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]

from ..core.errors import one_line
from ..core.memory import COMMAND_LINE, lean_pool
from ..version import __version__

# Options whose value may be left out: the bare option means this value (``--blob-mounting`` = on).
BARE = {"--blob-mounting": ("on", ("on", "off", "collected"))}


def bare_flags(args: list[str]) -> list[str]:
    """``--blob-mounting`` not followed by one of its values becomes ``--blob-mounting=on``."""
    out = []
    for i, arg in enumerate(args):
        if arg in BARE and (i + 1 == len(args) or args[i + 1] not in BARE[arg][1]):
            arg = f"{arg}={BARE[arg][0]}"
        out.append(arg)
    return out


class OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, ``--format xml``) as one ``error:`` line and exit 2, like every
    other bad input, instead of click's usage block."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=bare_flags(sys.argv[1:] if args is None else list(args)),
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            rv = 2
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "ecrcost"
            typer.echo(one_line(f"error: {exc.format_message()} (see '{command} --help')"), err=True)
            rv = 2
        except typer.Abort:
            typer.echo("aborted", err=True)
            rv = 1
        except (RecursionError, OSError, decimal.DecimalException) as exc:
            if os.environ.get("ECRCOST_DEBUG", "") not in ("", "0"):
                raise
            rv = last_resort(exc)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def last_resort(exc: BaseException) -> int:
    """One line for what slipped past the input checks, which should have named the file and place:
    a net under them, not instead of them. Exit 2 for what an input most likely caused (numbers out
    of range, nesting too deep), 1 for the system (a file that cannot be read or written).
    ``ECRCOST_DEBUG=1`` shows the traceback instead."""
    hint = " (ECRCOST_DEBUG=1 shows where)"
    if isinstance(exc, BrokenPipeError):  # the reader went away (| head): nothing more to say
        _quiet_stdout()
        return 1
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename is not None else ""
        typer.echo(one_line(f"error: {where}{exc.strerror or exc}"), err=True)
        return 1
    if isinstance(exc, RecursionError):
        reason = "the input is nested too deeply to read"
    else:
        reason = f"a number in the input is out of range ({type(exc).__name__})"
    typer.echo(one_line(f"error: {reason}{hint}"), err=True)
    return 2


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout is no real file (a test runner)
        pass


_typed = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: Any) -> str | None:
    """A flag takes no value: help shows no ``<bool>`` placeholder after it (typer shows one)."""
    return None if self.is_flag else _typed(self, ctx)


setattr(TyperOption, "display_type_rich", _flag_without_type)  # noqa: B010 - typer has no hook for it

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
EXIT_CODES = (
    "Exit codes: 0 success; 1 anything else (an output that could not be written, AWS unreachable); "
    "2 bad input or usage (one line naming file, row and column); 3 collect or prices refresh with "
    "partial coverage, or reconcile --cost-explorer refused; 4 reconcile beyond --tolerance; "
    "5 lifecycle --fail-on-unsafe and a policy is unsafe."
)

app = typer.Typer(
    cls=OneLineErrors,
    help="Estimate what an Amazon ECR registry costs: deduplicated layer storage, tiered transfer, "
    "to the cent.",
    epilog=EXIT_CODES,
    context_settings=HELP_OPTIONS,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecrcost {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    token = COMMAND_LINE.set(True)  # for this command only (a test runs many in one process)
    ctx.call_on_close(lambda: COMMAND_LINE.reset(token))


def main() -> None:
    lean_pool()
    app()
