/*
 * adv_options.c: the host's advanced settings: the known keys, and the
 * values set, kept in <confdir>/advanced.conf (kvcfg format: only the
 * values that differ from their defaults).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "common/syslogcfg.h"
#include "hostd/adv_options.h"
#include "hostd/hostd.h"
#include "hostd/password_policy.h"

static int valid_password_policy(const char *text, struct err *e)
{
	struct pwq_policy p;
	struct err why = {0};

	if (pwq_parse(text, &p, &why) < 0)
		return err_set(e, -EINVAL,
			       "Security.PasswordQualityControl: %s",
			       err_msg(&why));
	return 0;
}

static int valid_log_host(const char *text, struct err *e)
{
	struct syslog_target t[SYSLOGCFG_TARGETS_MAX];

	return syslogcfg_targets(text, t, SYSLOGCFG_TARGETS_MAX, e) < 0 ? -1
									: 0;
}

static int valid_log_dir(const char *text, struct err *e)
{
	char path[1024];

	return syslogcfg_logdir(text, path, sizeof(path), e);
}

/* What a configuration restore keeps of this host's own: paths under
 * /etc/basalt, comma-separated, that stay inside it. */
static int valid_restore_keep(const char *text, struct err *e)
{
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, ",");
		int comp = 0;
		if (n == 0 || p[0] == '/')
			return err_set(e, -EINVAL,
				       "UserVars.ConfigRestoreKeep: an empty "
				       "or absolute path");
		for (size_t i = 0; i <= n; i++) {
			if (i == n || p[i] == '/') {
				const char *c = p + i - comp;
				if (comp == 0 || (comp == 1 && c[0] == '.') ||
				    (comp == 2 && c[0] == '.' && c[1] == '.'))
					return err_set(
						e, -EINVAL,
						"UserVars.ConfigRestoreKeep: "
						"'%.*s' leaves /etc/basalt",
						(int)n, p);
				comp = 0;
			} else if (!((p[i] >= 'a' && p[i] <= 'z') ||
				     (p[i] >= 'A' && p[i] <= 'Z') ||
				     (p[i] >= '0' && p[i] <= '9') ||
				     p[i] == '.' || p[i] == '_' ||
				     p[i] == '-')) {
				return err_set(e, -EINVAL,
					       "UserVars.ConfigRestoreKeep: "
					       "'%.*s': letters, digits, '.', "
					       "'_', '-' and '/' only",
					       (int)n, p);
			} else {
				comp++;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The keys the reference host's clients look for, where Basalt has the
 * component behind them (the security ones are enforced by issue 5's
 * account code, the syslog ones by the log forwarder). */
const struct adv_def adv_defs[] = {
	{"Annotations.WelcomeMessage", ADV_STRING, "", 0, 0,
	 "Welcome message shown on the console (DCUI)", NULL},
	{"Config.HostAgent.vmacore.soap.sessionTimeout", ADV_LONG, "30", 0,
	 1440, "Minutes an idle API session lives (0: for ever)", NULL},
	{"Config.HostAgent.log.level", ADV_STRING, "info", 0, 0,
	 "hostd's log level: error, warning, info or verbose", NULL},
	{"Security.AccountLockFailures", ADV_LONG, "5", 0, 100,
	 "Failed logins before an account is locked (0: never)", NULL},
	{"Security.AccountUnlockTime", ADV_LONG, "900", 0, 86400,
	 "Seconds a locked account stays locked", NULL},
	{"Security.PasswordQualityControl", ADV_STRING,
	 "retry=3 min=disabled,disabled,disabled,7,7", 0, 0,
	 "Password quality rules (pam_passwdqc syntax)", valid_password_policy},
	{"Syslog.global.logHost", ADV_STRING, "", 0, 0,
	 "Remote syslog targets, comma-separated: udp://host:514, "
	 "tcp://host:514, ssl://host:1514",
	 valid_log_host},
	{"Syslog.global.logDir", ADV_STRING, SYSLOGCFG_LOGDIR_DEFAULT, 0, 0,
	 "Where the host's logs are kept: \"[datastore] path\" or "
	 "\"[] /path\"",
	 valid_log_dir},
	{"Syslog.global.defaultRotate", ADV_LONG, "8", 0, 100,
	 "Rotated log files kept of each log", NULL},
	{"Syslog.global.defaultSize", ADV_LONG, "1024", 10, 1048576,
	 "KiB a log file reaches before it rotates", NULL},
	{"Syslog.global.queue.memoryMessages", ADV_LONG, "10000", 10, 1000000,
	 "Messages kept in memory for each remote target while it is away",
	 NULL},
	{"Syslog.global.queue.fileSize", ADV_LONG, "64", 0, 4096,
	 "MiB on disk for each remote target's messages beyond the memory "
	 "queue (0: none)",
	 NULL},
	{"Syslog.global.certificate.checkSSLCerts", ADV_BOOL, "true", 0, 0,
	 "Check ssl:// targets' certificates against the host's CA store",
	 NULL},
	{"UserVars.HostClientSessionTimeout", ADV_LONG, "900", 0, 7200,
	 "Seconds an idle API session lives (0: for ever)", NULL},
	{"UserVars.ConfigRestoreKeep", ADV_STRING, "", 0, 0,
	 "What RestoreFirmwareConfiguration keeps of this host's own "
	 "configuration: paths under /etc/basalt, comma-separated (ssl: "
	 "its certificate; passwd,shadow,group: its accounts)",
	 valid_restore_keep},
	/* Read by stated (src/stated/daemon.c) from advanced.conf. */
	{"UserVars.StateSaveInterval", ADV_LONG, "3600", 60, 86400,
	 "Seconds between comparisons of the host's state with its last "
	 "save (changes are saved within seconds anyway)",
	 NULL},
	{"UserVars.ESXiShellTimeOut", ADV_LONG, "0", 0, 86400,
	 "Seconds after which the support shell, once started, is turned "
	 "off again (0: never); sessions already open stay",
	 NULL},
	{"UserVars.SuppressShellWarning", ADV_LONG, "0", 0, 1,
	 "Do not warn that the shell is enabled", NULL},
	{"Net.BlockGuestBPDU", ADV_BOOL, "false", 0, 0,
	 "Drop spanning tree frames sent by guests", NULL},
};
const size_t adv_count = sizeof(adv_defs) / sizeof(*adv_defs);
_Static_assert(sizeof(adv_defs) / sizeof(*adv_defs) <= ADV_OPTIONS_MAX,
	       "struct hostd has room for ADV_OPTIONS_MAX values");

static void adv_path(const struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/advanced.conf", (int)(size - 16),
		 h->hd_confdir);
}

const struct adv_def *adv_find(const char *key, size_t *index)
{
	for (size_t i = 0; i < adv_count; i++)
		if (strcmp(adv_defs[i].ad_key, key) == 0) {
			if (index != NULL)
				*index = i;
			return &adv_defs[i];
		}
	return NULL;
}

const char *adv_get(const struct hostd *h, size_t i)
{
	return h->hd_adv[i] != NULL ? h->hd_adv[i] : adv_defs[i].ad_default;
}

int adv_check(const struct adv_def *def, const char *text, struct err *e)
{
	char *end;
	long long v;

	if (strlen(text) >= ADV_VALUE_MAX)
		return err_set(e, -EINVAL, "%s: value longer than %d bytes",
			       def->ad_key, ADV_VALUE_MAX - 1);
	switch (def->ad_type) {
	case ADV_LONG:
		errno = 0;
		v = strtoll(text, &end, 10);
		if (text[0] == '\0' || *end != '\0' || errno != 0)
			return err_set(e, -EINVAL, "%s: '%s' is not a number",
				       def->ad_key, text);
		if (v < def->ad_min || v > def->ad_max)
			return err_set(
				e, -EINVAL,
				"%s: %lld is out of range (%lld to %lld)",
				def->ad_key, v, def->ad_min, def->ad_max);
		return 0;
	case ADV_BOOL:
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return err_set(e, -EINVAL,
				       "%s: expected true or false, not '%s'",
				       def->ad_key, text);
		return 0;
	case ADV_STRING:
		for (const char *p = text; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				return err_set(e, -EINVAL,
					       "%s: control characters are "
					       "not allowed",
					       def->ad_key);
		return def->ad_valid != NULL ? def->ad_valid(text, e) : 0;
	}
	return err_set(e, -EINVAL, "%s: unknown type", def->ad_key);
}

int adv_load(struct hostd *h, struct err *e)
{
	char path[PATH_MAX];
	struct kvcfg cfg;
	int rc;

	adv_path(h, path, sizeof(path));
	rc = kvcfg_load(&cfg, path, e);
	if (rc == -ENOENT) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	for (int k = 0; k < cfg.kc_count; k++) {
		const struct kvcfg_entry *en = &cfg.kc_entries[k];
		struct err why = {0};
		size_t i;
		if (adv_find(en->ke_key, &i) == NULL) {
			log_warnx("%s:%d: no option '%s'; left out", path,
				  en->ke_line, en->ke_key);
			continue;
		}
		if (adv_check(&adv_defs[i], en->ke_value, &why) < 0) {
			log_warnx("%s:%d: %s; the default stays", path,
				  en->ke_line, err_msg(&why));
			continue;
		}
		free(h->hd_adv[i]);
		h->hd_adv[i] = strdup(en->ke_value);
		if (h->hd_adv[i] == NULL) {
			kvcfg_free(&cfg);
			return err_set(e, -ENOMEM, "out of memory");
		}
	}
	kvcfg_free(&cfg);
	return 0;
}

/* The file for the values in vals (NULL: default). */
static int save(const struct hostd *h, char *const *vals, struct err *e)
{
	size_t cap = 64 + adv_count * (ADV_VALUE_MAX * 3 + 80), len = 0;
	char path[PATH_MAX], esc[ADV_VALUE_MAX * 3 + 1];
	char *buf = malloc(cap);
	int rc;

	if (buf == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	len += (size_t)snprintf(buf, cap,
				"# Basalt host advanced settings (written "
				"by hostd; those set away from defaults)\n");
	for (size_t i = 0; i < adv_count; i++) {
		if (vals[i] == NULL ||
		    strcmp(vals[i], adv_defs[i].ad_default) == 0)
			continue;
		if (kvcfg_escape(vals[i], esc, sizeof(esc)) < 0) {
			free(buf);
			return err_set(e, -EINVAL, "%s: value too long",
				       adv_defs[i].ad_key);
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s = \"%s\"\n",
					adv_defs[i].ad_key, esc);
	}
	adv_path(h, path, sizeof(path));
	rc = file_write_atomic(path, buf, len, 0644, e);
	free(buf);
	return rc;
}

int adv_set(struct hostd *h, const size_t *index, const char *const *text,
	    size_t n, struct err *e)
{
	char **vals = calloc(adv_count, sizeof(*vals));
	int rc = 0;

	if (vals == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	/* The new set of values, built aside: the live one changes only
	 * once the file holds it. */
	for (size_t i = 0; i < adv_count && rc == 0; i++)
		if (h->hd_adv[i] != NULL &&
		    (vals[i] = strdup(h->hd_adv[i])) == NULL)
			rc = err_set(e, -ENOMEM, "out of memory");
	for (size_t k = 0; k < n && rc == 0; k++) {
		free(vals[index[k]]);
		if ((vals[index[k]] = strdup(text[k])) == NULL)
			rc = err_set(e, -ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = save(h, vals, e);
	if (rc == 0)
		for (size_t i = 0; i < adv_count; i++) {
			char *old = h->hd_adv[i];
			h->hd_adv[i] = vals[i];
			vals[i] = old;
		}
	for (size_t i = 0; i < adv_count; i++)
		free(vals[i]);
	free(vals);
	return rc;
}
