# SPDX-License-Identifier: MIT
# Build kernel-style modules against an installed libbh, Kbuild style:
#
#   make -f PREFIX/share/bh/module.mk obj-m=hello.o
#   make -f PREFIX/share/bh/module.mk obj-m="a.o b.o" [CC=clang]
#
# Each foo.o in obj-m becomes foo.so from foo.c, with KBUILD_MODNAME
# "foo"; run it with `bh-modrun foo.so`. The flags come from
# `pkg-config bh-compat`; this file finds the pkg-config directory of
# the prefix it is installed in, so PKG_CONFIG_PATH need not be set.
BH_MODULE_MK := $(abspath $(lastword $(MAKEFILE_LIST)))
BH_PREFIX := $(abspath $(dir $(BH_MODULE_MK))/../..)
empty :=
space := $(empty) $(empty)
BH_PC_PATH := $(subst $(space),:,$(strip $(wildcard \
	$(BH_PREFIX)/lib/pkgconfig $(BH_PREFIX)/lib64/pkgconfig \
	$(BH_PREFIX)/lib/*/pkgconfig)))$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

CC ?= cc
PKG_CONFIG ?= pkg-config
# $(shell) does not see exported variables before GNU make 4.4: pass it.
BH_CFLAGS := $(shell PKG_CONFIG_PATH='$(BH_PC_PATH)' $(PKG_CONFIG) --cflags bh-compat)
BH_LIBS := $(shell PKG_CONFIG_PATH='$(BH_PC_PATH)' $(PKG_CONFIG) --libs bh-compat)
ifeq ($(BH_LIBS),)
$(error bh-compat not found by pkg-config under $(BH_PREFIX))
endif

modules := $(obj-m:.o=.so)

all: $(modules)

%.so: %.c
	$(CC) -shared -fPIC -O2 -g $(CFLAGS) -DMODULE \
		-DKBUILD_MODNAME='"$*"' $(BH_CFLAGS) -o $@ $< $(BH_LIBS)

clean:
	rm -f $(modules)

.PHONY: all clean
