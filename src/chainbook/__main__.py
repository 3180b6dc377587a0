"""`python -m chainbook ...`: the `chainbook` command; testnet.up starts nodes this way."""

from chainbook.cli.main import app

if __name__ == "__main__":
    app(prog_name="chainbook")
