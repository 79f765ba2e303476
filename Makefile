# Thin wrappers over the Nx targets (the seed's C4). Everything real happens in @loa/plugin.
NX := npx nx

.PHONY: help dev dev-build dev-shell dev-logs dev-down dev-clean deploy-cf

help:
	@echo "Loa Development Commands:"
	@echo "  make dev        - Start local dev environment (docker if available, else native)"
	@echo "  make dev-build  - Rebuild dev image and start"
	@echo "  make dev-shell  - Shell into running container"
	@echo "  make dev-logs   - Follow container logs"
	@echo "  make dev-down   - Stop development environment (keeps the data volume)"
	@echo "  make dev-clean  - Stop and remove all state (WAL, SOUL.md: volume loa-dev-data-v1)"
	@echo "  make deploy-cf  - Manual Cloudflare deploy (escape hatch)"

dev:
	$(NX) run loa:dev

dev-build:
	$(NX) run loa:dev-build

dev-shell:
	$(NX) run loa:dev-shell

dev-logs:
	$(NX) run loa:dev-logs

dev-down:
	$(NX) run loa:dev-down

dev-clean:
	$(NX) run loa:dev-clean

deploy-cf:
	$(NX) run loa:deploy
