# Shortcuts; the README's two commands (scripts/run.sh, scripts/test.sh) stay the documented entry points.
.PHONY: bench bench-smoke test run

bench:
	bash scripts/bootstrap.sh && .venv/bin/python -m bench

bench-smoke:
	bash scripts/bootstrap.sh && .venv/bin/python -m bench --smoke

test:
	bash scripts/test.sh

run:
	bash scripts/run.sh
