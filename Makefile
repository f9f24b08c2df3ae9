# Basalt's public build interface. The build itself is declared once in
# meson.build; these targets drive it. See README.md and docs/testing.md.
#
#   make run        build the image and boot it in QEMU (the console here;
#                   https://localhost:8443, http://localhost:8080)
#   make test       every test tier (format, unit, vmm, e2e)
#   make test-unit | test-vmm | test-e2e    one tier
#   make bench      measurements for docs/performance.md, local /dev/kvm
#   make bench-nested   the same for Debian's kernel in the nested bed
#                   (vmx against QEMU; about 25 minutes)
#   make bench-lifecycle  a VM's lifecycle through hostd and through
#                   libvirt + QEMU, in the nested bed (about 15 minutes)
#   make bench-proxy  rhttpproxy beside nginx: requests/s, a 1 GiB download
#                   over TLS, memory with 1,000 connections (about 3 minutes)
#   make bench-syslog syslogd beside rsyslog: messages/s to a file and over
#                   TCP, peak memory (under a minute)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make hosted     hostd and rhttpproxy in hosted mode, in the foreground,
#                   rooted at ROOT (default ./run): the VI API on
#                   https://HOSTD_ADDRESS:HTTPS_PORT/sdk (127.0.0.2:8443),
#                   port 80's stand-in on HTTP_PORT (:8080), hostd alone
#                   on http://HOSTD_ADDRESS:HOSTD_PORT/sdk (:8307);
#                   Ctrl-C powers the VMs off and stops both
#   make image      the bootable image build/basalt.img (sizes printed)
#   make dcui       the console screen against make hosted's ROOT
#   make format     rewrite C files with clang-format
#   make deps       install missing Debian packages (every target calls it)

BUILD        ?= build
RELEASE_DIR  := $(BUILD)/release
ASAN_DIR     := $(BUILD)/asan
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 30
PYTHON       := /usr/bin/python3
TIERS        := $(PYTHON) tests/tiers.py

export BASALT_ASAN_DIR    := $(abspath $(ASAN_DIR))
export BASALT_RELEASE_DIR := $(abspath $(RELEASE_DIR))

.PHONY: all build build-asan run deps-image dcui test test-unit test-vmm test-e2e bench \
	bench-nested bench-lifecycle bench-proxy bench-syslog fuzz hosted image format deps deps-test deps-fuzz clean

all: build

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-fuzz:
	@scripts/deps.sh fuzz
deps-image:
	@scripts/deps.sh image

# meson setup runs once per build directory; ninja rebuilds what changed.
$(RELEASE_DIR)/build.ninja: | deps
	@meson setup --buildtype=debugoptimized $(RELEASE_DIR) >/dev/null
$(ASAN_DIR)/build.ninja: | deps
	@meson setup -Db_sanitize=address,undefined -Db_lundef=false \
		$(ASAN_DIR) >/dev/null
$(FUZZ_DIR)/build.ninja: | deps-fuzz
	@CC=clang meson setup -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false $(FUZZ_DIR) >/dev/null

build: deps $(RELEASE_DIR)/build.ninja
	@ninja --quiet -C $(RELEASE_DIR)
	@ln -sf release/src/vmx/vmx $(BUILD)/vmx

build-asan: deps $(ASAN_DIR)/build.ninja
	@ninja --quiet -C $(ASAN_DIR)

# Boot the image in QEMU as a server would (scripts/run-image.sh): KVM
# when this machine has working hardware virtualization, else emulation
# with -cpu max (VMs still run inside); an extra disk for datastore1;
# 443 and 80 forwarded to localhost HTTPS_PORT and HTTP_PORT; the console
# here. ROOT_PASSWORD=... answers root's password on first boot.
run: image
	@exec scripts/run-image.sh $(BUILD) $(HTTPS_PORT) $(HTTP_PORT)

test: deps-test build build-asan image
	@$(TIERS) format unit vmm e2e

test-unit: deps-test build-asan
	@$(TIERS) unit
test-vmm: deps-test build-asan
	@$(TIERS) vmm
test-e2e: deps-test build image
	@$(TIERS) e2e

bench: build
	@$(PYTHON) bench/run.py

bench-nested: deps-test build
	@$(PYTHON) bench/nested.py

bench-lifecycle: deps-test build
	@$(PYTHON) bench/lifecycle.py

bench-proxy: deps-test build
	@$(PYTHON) bench/proxy.py

bench-syslog: deps-test build
	@$(PYTHON) bench/syslog.py

fuzz: deps-fuzz $(FUZZ_DIR)/build.ninja
	@ninja --quiet -C $(FUZZ_DIR)
	@scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

ROOT          ?= run
HOSTD_ADDRESS ?= 127.0.0.2
HOSTD_PORT    ?= 8307
HTTP_PORT     ?= 8080
HTTPS_PORT    ?= 8443

# hostd and the proxy on one root: the proxy owns TLS (the host's
# self-signed certificate in ROOT/etc/basalt/ssl, made on first start,
# its thumbprints logged) and port 80's stand-in; hostd keeps plain HTTP
# on loopback for tools.
hosted: build
	@echo "==> hostd and rhttpproxy in hosted mode, rooted at $(ROOT): https://$(HOSTD_ADDRESS):$(HTTPS_PORT)/sdk (and /folder, /ui), http://$(HOSTD_ADDRESS):$(HTTP_PORT)/ (redirects to https); hostd alone at http://$(HOSTD_ADDRESS):$(HOSTD_PORT)/sdk"
	@echo "    pyVmomi: SmartConnect(host='$(HOSTD_ADDRESS)', port=$(HTTPS_PORT), user='root', pwd=..., sslContext=ssl._create_unverified_context())"
	@echo "    root's password: BASALT_ROOT_PASSWORD=... on the first start, else blank until set on $(ROOT)/var/run/basalt/console.sock"
	@echo "    Ctrl-C powers every VM off and stops both"
	@exec scripts/hosted.sh $(RELEASE_DIR) "$(ROOT)" $(HOSTD_ADDRESS) $(HOSTD_PORT) $(HTTP_PORT) $(HTTPS_PORT)

# The bootable disk image (image/build.py; docs/formats/image.md): GRUB,
# two boot banks of Debian's kernel and Basalt's initramfs, store and
# core-dump partitions. Built without root; prints each part's size.
# The console screen against the host that make hosted runs on ROOT.
dcui: build
	@exec $(RELEASE_DIR)/src/dcui/dcui --root "$(ROOT)"

image: deps-image build
	@$(PYTHON) image/build.py --build $(RELEASE_DIR) --out $(BUILD)/basalt.img

format: deps-test
	@git ls-files --cached --others --exclude-standard '*.c' '*.h' | \
		xargs clang-format -i

clean:
	rm -rf $(BUILD)
