/*
 * main.c: the console's first screen (issue 7's part of the DCUI; issue
 * 9 makes it the full menu on ncurses). It shows the product, version,
 * host name, management addresses with the URL to manage the host and
 * the certificate's SHA-256 thumbprint, and while root's password is
 * blank it asks for one and sets it through hostd's console socket
 * (UpdateUser, so hostd checks the password rules and audits it).
 * Plain lines on whatever terminal it is given (tty1, the serial
 * console, or any terminal in hosted mode).
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/console.h"
#include "common/file.h"
#include "common/log.h"
#include "dcui/api.h"

#define DEFAULT_ROOT   "run"
#define CERT_MAX_BYTES (64u << 10)
#define LINE_MAX_BYTES 512

static const char usage[] =
	"usage: dcui [--root DIR]\n"
	"The host's console screen on this terminal: product, version,\n"
	"addresses, the URL to manage the host and its certificate's\n"
	"thumbprint; while root's password is blank it asks for one and sets\n"
	"it through hostd (DIR/var/run/basalt/console.sock).\n"
	"  --root DIR  the host's root (default ./" DEFAULT_ROOT
	"; / on the appliance)\n";

static char root[256] = DEFAULT_ROOT;

static void path_in_root(char *buf, size_t size, const char *rel)
{
	const char *r = strcmp(root, "/") == 0 ? "" : root;

	if (strlen(r) + strlen(rel) >= size)
		buf[0] = '\0'; /* too long: nothing there */
	else
		snprintf(buf, size, "%s%s", r, rel);
}

static int root_password_blank(void)
{
	char path[300], hash[LINE_MAX_BYTES];

	path_in_root(path, sizeof(path), "/etc/basalt/shadow");
	return console_shadow_hash(path, "root", hash, sizeof(hash)) &&
	       hash[0] == '\0';
}

static void thumbprint(char *out, size_t size)
{
	char path[300];
	void *pem;
	size_t len, fl = 32;
	unsigned char fp[32];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	struct err e;

	snprintf(out, size, "(no certificate yet)");
	path_in_root(path, sizeof(path), "/etc/basalt/ssl/rui.crt");
	if (file_read_all(path, CERT_MAX_BYTES, &pem, &len, &e) < 0)
		return;
	d.data = pem;
	d.size = (unsigned)len;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0 &&
		    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
						    &fl) == 0) {
			size_t n = 0;
			for (size_t i = 0; i < fl && n + 4 < size; i++)
				n += (size_t)snprintf(out + n, size - n,
						      "%s%02X", i ? ":" : "",
						      fp[i]);
		}
		gnutls_x509_crt_deinit(crt);
	}
	free(pem);
}

static void screen(void)
{
	char host[256] = "localhost", fp[128];
	struct ifaddrs *ifa, *i;
	int any = 0;

	gethostname(host, sizeof(host) - 1);
	thumbprint(fp, sizeof(fp));
	printf("\n\n  Basalt %s\n\n  Host name: %s\n", BASALT_VERSION, host);
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL; i = i->ifa_next) {
			char a[INET_ADDRSTRLEN];
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    strcmp(i->ifa_name, "lo") == 0)
				continue;
			inet_ntop(
				AF_INET,
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				a, sizeof(a));
			printf("  Manage this host at https://%s/ (%s)\n", a,
			       i->ifa_name);
			any = 1;
		}
		freeifaddrs(ifa);
	}
	if (!any)
		printf("  The management network has no address.\n");
	printf("  Certificate SHA-256 thumbprint:\n  %s\n\n", fp);
	fflush(stdout);
}

/* Ask for root's password until it is set; -1 if the terminal ends. */
static int set_root_password(void)
{
	char pw[LINE_MAX_BYTES], again[LINE_MAX_BYTES];
	struct api a = {0};
	struct err e;
	int rc = -1;

	path_in_root(a.ap_socket, sizeof(a.ap_socket),
		     "/var/run/basalt/console.sock");
	printf("  Root's password is not set. Set it now: until then no one\n"
	       "  can log in over the network.\n\n");
	for (;;) {
		if (console_read_line("  New password: ", pw, sizeof(pw), 1) <
			    0 ||
		    console_read_line("  Confirm password: ", again,
				      sizeof(again), 1) < 0)
			break;
		if (strcmp(pw, again) != 0) {
			printf("  The passwords differ; again.\n\n");
			continue;
		}
		if (api_login(&a, "root", "", &e) < 0 ||
		    api_set_password(&a, "root", pw, &e) < 0) {
			printf("  Not set: %s\n\n", err_msg(&e));
			api_logout(&a);
			continue;
		}
		api_logout(&a);
		printf("  Root's password is set.\n");
		rc = 0;
		break;
	}
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return rc;
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_BYTES];

	log_procinit("dcui");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			snprintf(root, sizeof(root), "%s", argv[++i]);
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "dcui: unknown option '%s'\n%s",
				argv[i], usage);
			return 2;
		}
	}
	gnutls_global_init();
	for (;;) {
		screen();
		if (root_password_blank()) {
			if (set_root_password() < 0)
				break;
			continue;
		}
		if (console_read_line("  <Enter> refreshes this screen. ", line,
				      sizeof(line), 0) < 0)
			break;
	}
	/* The terminal ended (a console with no keyboard behind it): stay,
	 * quietly, rather than be restarted in a loop. */
	for (;;)
		pause();
}
