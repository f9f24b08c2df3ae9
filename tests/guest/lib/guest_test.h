/*
 * guest_test.h: included by every tests/guest/<name>.c. The file is built
 * twice: with BASALT_GUEST as the freestanding guest (guest_code), and
 * without as the host-side test (main), which finds the guest ELF at
 * GUEST_ELF (set by tests/guest/meson.build).
 */
#ifndef BASALT_GUEST_LIB_GUEST_TEST_H
#define BASALT_GUEST_LIB_GUEST_TEST_H

#ifdef BASALT_GUEST
#include "guest/lib/guest.h"
#else
#include <string.h>

#include "guest/lib/harness.h"
#include "lib/tap.h"
#endif

#endif
