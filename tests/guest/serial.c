/*
 * serial.c: a guest's COM1 output reaches the console, byte for byte: when
 * it polls the line status like Linux does, when it writes the transmit
 * register without polling (more bytes than KVM's queue of coalesced
 * writes holds) with a divisor-latch write in between, and when it writes
 * and then idles without another exit.
 */
#include "guest/lib/guest_test.h"

#define GREETING "hello from a tiny guest\r\nline two\n"

#define MODE_PORT     0x512
#define MODE_GREETING 0
#define MODE_BURST    1
#define MODE_IDLE     2

#define COM1	  0x3f8
#define COM1_DLM  (COM1 + 1) /* with DLAB set */
#define COM1_LCR  (COM1 + 3)
#define LCR_8N1	  0x03
#define LCR_DLAB  0x80
#define BURST	  400 /* the ring holds 170 */
#define IDLE_LINE "idle now\n"

#ifdef BASALT_GUEST
void guest_code(void)
{
	switch (inb(MODE_PORT)) {
	case MODE_BURST:
		for (int i = 0; i < BURST; i++)
			outb(COM1, (uint8_t)('A' + i % 26));
		/* Offset 0 is the divisor latch now: no output. */
		outb(COM1_LCR, LCR_DLAB | LCR_8N1);
		outb(COM1, 1);
		outb(COM1_DLM, 0);
		outb(COM1_LCR, LCR_8N1);
		for (const char *s = "|end"; *s; s++)
			outb(COM1, (uint8_t)*s);
		GUEST_DONE();
		break;
	case MODE_IDLE:
		serial_puts(IDLE_LINE);
		for (;;)
			__asm__ volatile("pause");
	default:
		serial_puts(GREETING);
		serial_put_dec(1234567890123ULL);
		serial_putc(' ');
		serial_put_hex(0xdeadbeefULL);
		GUEST_DONE();
	}
}
#else
#include <linux/kvm.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static struct harness h;
static uint8_t mode;

static int start(uint8_t m)
{
	mode = m;
	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return -1;
	if (harness_add_mode_port(&h, MODE_PORT, &mode) < 0) {
		harness_fini(&h);
		return -1;
	}
	return 0;
}

static void serial_output_reaches_console(void)
{
	if (start(MODE_GREETING) < 0)
		return;
	if (harness_run(&h) == 0)
		CHECK_STR(harness_console(&h),
			  GREETING "1234567890123 0xdeadbeef");
	harness_fini(&h);
}

static void unpolled_burst_arrives_whole_and_in_order(void)
{
	char want[BURST + 8];

	for (int i = 0; i < BURST; i++)
		want[i] = (char)('A' + i % 26);
	strcpy(want + BURST, "|end");
	if (start(MODE_BURST) < 0)
		return;
	if (harness_run(&h) == 0) {
		CHECK_STR(harness_console(&h), want);
		/* Where KVM can queue them, it did: this path was taken. */
		if (ioctl(h.h_m->m_vm->vm_kvm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_COALESCED_PIO) > 0)
			CHECK(h.h_m->m_vm->vm_ring_writes >= BURST);
	}
	harness_fini(&h);
}

/* What the console showed while the guest still ran, idle. */
static char seen_idle[64];

static void *watch_idle_guest(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500 && !strstr(seen_idle, IDLE_LINE); i++) {
		usleep(10 * 1000);
		strncpy(seen_idle, harness_console(&h), sizeof(seen_idle) - 1);
	}
	vm_request_stop(h.h_m->m_vm, VM_STOP_REQUEST, "test done");
	return NULL;
}

static void idle_guest_output_is_not_held_back(void)
{
	pthread_t t;

	if (start(MODE_IDLE) < 0)
		return;
	h.h_expect_failure = 1; /* it never reports DONE */
	if (pthread_create(&t, NULL, watch_idle_guest, NULL) != 0) {
		CHECK(0);
		harness_fini(&h);
		return;
	}
	harness_run(&h);
	pthread_join(t, NULL);
	CHECK_STR(seen_idle, IDLE_LINE);
	harness_fini(&h);
}

int main(void)
{
	harness_require_kvm();
	RUN(serial_output_reaches_console);
	RUN(unpolled_burst_arrives_whole_and_in_order);
	RUN(idle_guest_output_is_not_held_back);
	return tap_done();
}
#endif
