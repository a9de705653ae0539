# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""absl flags for the command-line tools: what absl leaves to each script.

The tools that return an exit status (`inpaint`, `evaluate`) define their
flags on a module-level `FlagValues` of their own, so several import side by
side and `main(argv)` can be called again with other flags (tests). `parse`
gives them argparse's contract, which absl's `app.run` has not: bad flags
are a usage line, a one-line error and exit status 2; `--help` exits 0.

The tools run by `app.run` (train, serve, export, convert, build-dataset)
call `absl_help` first: `--help` lists their own flags.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn, Sequence

from absl import flags


def usage_error(prog: str, message: str) -> NoReturn:
  """A bad command line: usage and `message` on stderr, exit status 2."""
  print(f'usage: {prog} [flags] (--help for all)\n{prog}: error: {message}',
        file=sys.stderr)
  sys.exit(2)


def parse(values: flags.FlagValues, argv: Sequence[str] | None, prog: str,
          description: str) -> flags.FlagValues:
  """`values` parsed from `argv` (without the program name; default
  sys.argv[1:]), any earlier parse undone first. `--help`: `description`
  and the flags on stdout, exit 0; bad flags: `usage_error`."""
  argv = list(sys.argv[1:] if argv is None else argv)
  if {'--help', '--helpfull', '-h'} & set(argv):
    print(f'{description}\n\nusage: {prog} [flags]\n\n{values.get_help()}')
    sys.exit(0)
  values.unparse_flags()
  try:
    rest = values([prog] + argv)
  except flags.Error as e:
    usage_error(prog, str(e).splitlines()[0])
  if len(rest) > 1:
    usage_error(prog, f'unexpected arguments: {" ".join(rest[1:])}')
  return values


# What asks for a tool's help (absl's `--helpfull` lists every flag).
HELP_ARGS = ('--help', '-h', '-?', '--helpshort')


def absl_help(prog: str, description: str,
              argv: Sequence[str] | None = None,
              values: flags.FlagValues = flags.FLAGS) -> None:
  """`--help` of an `app.run` tool: its own flags with their help text on
  stdout, then exit 0.

  absl's `--help` lists the flags of the script's main module only (none
  for a console script) and exits 1. Here the flags defined in
  deepfill_jax (or in the script run as `python -m`) are listed; absl's
  and JAX's are left to `--helpfull`. Returns if `argv` asks for no help.
  """
  args = list(sys.argv[1:] if argv is None else argv[1:])
  if '--' in args:
    args = args[:args.index('--')]
  if not set(HELP_ARGS) & set(args):
    return
  main_file = os.path.abspath(sys.argv[0]) if sys.argv else ''
  lines = []
  for module in values.flags_by_module_dict():
    if module.startswith('deepfill_jax') or (
        os.path.abspath(module) == main_file):
      lines += [line for line in values.module_help(module).splitlines()
                if line.strip() and line.strip() != f'{module}:']
  print(f'{description}\n\nusage: {prog} [flags]\n\n' + '\n'.join(lines)
        + '\n\n  (absl\'s and JAX\'s own flags: --helpfull)')
  sys.exit(0)


def define_inference(values: flags.FlagValues) -> None:
  """`--two_scale` and `--blend`, as `Inpainter.from_checkpoint` takes them
  (the inpainting CLI, the evaluation and the web demo share them)."""
  flags.DEFINE_integer(
      'two_scale', None, 'D: each hole\'s rim comes from a second pass at '
      'twice the size (all of it up to D/2 px from the known pixels, '
      'blended into the 1x pass by 3D/2 px); 0: one pass; default: what '
      'the checkpoint asks for (the shipped photos_v1: 0)', lower_bound=0,
      flag_values=values)
  flags.DEFINE_bool(
      'blend', None, 'shift the network\'s fill to meet the hole\'s border '
      'and fill thin holes smoothly from it; --noblend: the network\'s own '
      'fill; default: what the checkpoint asks for', flag_values=values)
