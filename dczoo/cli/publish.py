"""`dczoo publish`: upload a preset to the Hugging Face Hub with a model card.

```
dczoo publish PRESET --to hf://org/repo [--private] [--dry-run [--out DIR]]
```

`--to` may be left out for a built-in preset: its registered hub handle is
used.

PRESET is a folder written by `save_to_preset` or a built-in preset name with
bundled weights. `--dry-run` uploads nothing: it writes the exact folder that
would be uploaded (default `./publish-<repo>`) and prints its files and the
model card.
"""

import os

from dczoo.errors import DczooInputError


def register(subparsers):
    """Adds the `publish` sub-command.

    Args:
        subparsers: the `add_subparsers()` object of the main parser.
    """
    parser = subparsers.add_parser(
        "publish",
        help="upload a preset to the Hugging Face Hub with a generated model card",
        description=(
            "Upload a preset (config.json, metadata.json, model.weights.h5 and a "
            "generated README.md model card) to a Hugging Face Hub repository in "
            "one commit, creating the repository if needed. The token comes from "
            "HF_TOKEN or `hf auth login` and is never printed."
        ),
    )
    parser.add_argument(
        "preset", metavar="PRESET", help="a preset folder or a built-in preset name"
    )
    parser.add_argument(
        "--to",
        metavar="hf://ORG/REPO",
        default=None,
        help="target repository (default for a built-in preset: its registered hub handle)",
    )
    parser.add_argument(
        "--private", action="store_true", help="create the repository as private"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="write the folder that would be uploaded and print it; upload nothing",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder written by --dry-run (default ./publish-<repo>)",
    )
    parser.add_argument(
        "--message", default=None, help="commit message (default: Upload dczoo preset)"
    )
    parser.set_defaults(func=run)


def run(args):
    """Runs `dczoo publish`.

    Args:
        args: the parsed arguments.

    Returns:
        int exit status (0 on success).
    """
    from dczoo.hub import upload  # imported only when publishing

    if args.to is None:
        args.to = _registered_handle(args.preset)
    repo_id = upload.parse_hub_uri(args.to)
    if args.dry_run:
        out_dir = args.out or f"publish-{repo_id.split('/')[1]}"
        files = upload.stage_upload_folder(args.preset, out_dir, repo_id=repo_id)
        _print_dry_run(args, repo_id, os.path.abspath(out_dir), files)
        return 0
    if args.out:
        print("dczoo publish: note: --out is only used with --dry-run")
    info = upload.upload_preset(
        args.to, args.preset, private=args.private, commit_message=args.message
    )
    print(f"published {args.preset} to {args.to}: {info.commit_url}")
    print(f"load it with DeepConsensusCorrector.from_preset({args.to!r})")
    return 0


def _registered_handle(preset):
    from dczoo.presets import BUILTIN_PRESETS

    if preset in BUILTIN_PRESETS:
        return BUILTIN_PRESETS[preset]["hub_handle"]
    raise DczooInputError(f"--to hf://org/repo is needed to publish {preset!r}")


def _print_dry_run(args, repo_id, out_dir, files):
    visibility = "private" if args.private else "public"
    print(f"dry run: nothing was uploaded. `dczoo publish {args.preset} --to {args.to}`")
    print(
        f"would create {repo_id} if missing ({visibility}) and commit these files "
        f"in one commit; they are written to {out_dir}:"
    )
    width = max(len(name) for name, _ in files)
    for name, size in files:
        print(f"  {name:<{width}}  {size:>12,} bytes")
    print(f"--- {os.path.join(out_dir, 'README.md')} ---")
    with open(os.path.join(out_dir, "README.md")) as handle:
        print(handle.read(), end="")
    print("--- end of README.md ---")
