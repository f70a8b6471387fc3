# The two commands a newcomer needs: `make demo` (the main job, against the local lab) and `make test`.
.PHONY: setup demo test unit e2e lab-start lab-stop lab-test bench typecheck boot

setup:
	bash scripts/setup.sh

demo: setup
	node scripts/demo.mjs

test: setup
	bash scripts/with-lab.sh npm test

unit: setup
	node scripts/test.mjs test/unit

e2e: setup
	bash scripts/with-lab.sh node scripts/test.mjs test/e2e

typecheck: setup
	npm run typecheck

bench: setup
	bash scripts/with-lab.sh node scripts/bench.mjs

lab-start: setup
	node test/lab/lab.mjs start

lab-stop:
	node test/lab/lab.mjs stop --purge

# The lab's own test: its labs (127.0.4) leave no kernel bridge behind. Needs no running lab.
lab-test: setup
	node scripts/test.mjs test/lab

# Accessory verbs against deploy.config.mjs, e.g. `make boot` (CI: `make boot || make reboot`).
boot:
	node_modules/.bin/zx scripts/accessory-boot.mjs all
