# The two commands of the README's quick start are `make demo` and `make test`.
.PHONY: demo test lint docs bench serve

demo:            ## set up and run the demo shop through every module
	@scripts/bootstrap.sh
	@uv run --frozen quickturn demo

test:            ## set up (system packages as root, Python env, PostgreSQL) and run every test
	@scripts/test.sh

lint:
	@scripts/bootstrap.sh
	uv run --frozen ruff check src tests benchmarks
	uv run --frozen mypy

docs:            ## regenerate docs/data-model.md from schema.py
	@scripts/bootstrap.sh
	uv run --frozen python -c "from quickturn.schema import markdown; open('docs/data-model.md','w').write(markdown())"

bench:           ## run every benchmark (prints JSON)
	@scripts/bootstrap.sh
	@for b in benchmarks/*_bench.py; do echo "== $$b"; uv run --frozen python $$b; done

serve:
	@scripts/bootstrap.sh
	@uv run --frozen quickturn demo --serve
