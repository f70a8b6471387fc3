# The two commands a newcomer needs: `make demo` (the main job, against the local lab) and `make test`.
.PHONY: setup demo test unit tooling e2e lab-start lab-stop lab-test bench typecheck format boot check details config reboot-drifted ci

setup:
	bash scripts/setup.sh

demo: setup
	node scripts/demo.mjs

test:
	npm test

unit: setup
	node scripts/test.mjs test/unit

tooling: setup
	node scripts/test.mjs test/tooling

e2e: setup
	bash scripts/with-lab.sh node scripts/test.mjs test/e2e

typecheck: setup
	npm run typecheck

format: setup
	npm run format

bench: setup
	bash scripts/with-lab.sh node scripts/bench.mjs

lab-start: setup
	node test/lab/lab.mjs start

lab-stop:
	node test/lab/lab.mjs stop --purge

# The lab's own test: its labs (127.0.4) leave no kernel bridge behind. Needs no running lab.
lab-test: setup
	node scripts/test.mjs test/lab

# Accessory verbs against deploy.config.mjs (or config/deploy.yml). In CI use `make ci`: it reboots only on
# exit 2 (drift), never after an error or a bad config (`make boot || make reboot` would).
ZX := node_modules/.bin/zx
check:
	$(ZX) scripts/accessory-check.mjs all --registry

boot:
	$(ZX) scripts/accessory-boot.mjs all

details:
	$(ZX) scripts/accessory-details.mjs all

config:
	$(ZX) scripts/accessory-config.mjs all

reboot-drifted:
	$(ZX) scripts/accessory-reboot.mjs all --drifted --registry -y

ci:
	$(ZX) scripts/accessory-boot.mjs all --registry; rc=$$?; \
	if [ "$$rc" = 2 ]; then $(ZX) scripts/accessory-reboot.mjs all --drifted --registry -y; rc=$$?; fi; \
	exit $$rc
