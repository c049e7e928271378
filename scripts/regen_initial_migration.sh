#!/usr/bin/env bash
# Development only, until the first release: rebuild the single initial migration from the models.
# After a release, add new revisions with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_initial.py
python - "$tmp" <<'PY'
import sys
from alembic import command
from storage.db import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/regen.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
mv storage/migrations/versions/0001_initial_schema.py storage/migrations/versions/0001_initial.py
rm -rf "$tmp"
echo "storage/migrations/versions/0001_initial.py regenerated"
