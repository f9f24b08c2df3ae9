/*
 * option_manager.c: OptionManager ha-adv-options, the host's advanced
 * settings (adv_options.c): supportedOption, setting, QueryOptions,
 * UpdateOptions. An update is checked whole before anything changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hostd/adv_options.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define ADV_ID "ha-adv-options"
/* The most values one UpdateOptions may change. */
#define ADV_UPDATE_MAX 64

static int adv_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, ADV_ID) == 0;
}

/* OptionValue for option i as an item of array a. */
static void option_value(const struct hostd *h, struct vval *a, size_t i)
{
	struct vval *o = vval_obj(a, NULL, "OptionValue");
	const char *v = adv_get(h, i);

	vval_str(o, "key", adv_defs[i].ad_key);
	switch (adv_defs[i].ad_type) {
	case ADV_LONG:
		vval_any(vval_prim(o, "value", "xsd:long", v));
		break;
	case ADV_BOOL:
		vval_any(vval_prim(o, "value", "xsd:boolean", v));
		break;
	case ADV_STRING:
		vval_any(vval_str(o, "value", v));
		break;
	}
}

/* Does key match name: the same, or name ends in '.' and prefixes it? */
static int matches(const char *key, const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return 1;
	if (name[n - 1] == '.')
		return strncmp(key, name, n) == 0;
	return strcmp(key, name) == 0;
}

struct vval *vim_adv_settings(const struct hostd *h, struct vval *parent,
			      const char *name, const char *prefix)
{
	struct vval *a = vval_array(parent, name, "OptionValue");

	for (size_t i = 0; i < adv_count; i++)
		if (matches(adv_defs[i].ad_key, prefix))
			option_value(h, a, i);
	return a;
}

static struct vval *supported(void)
{
	struct vval *a = vval_array(NULL, NULL, "OptionDef");

	for (size_t i = 0; i < adv_count; i++) {
		const struct adv_def *d = &adv_defs[i];
		struct vval *o = vval_obj(a, NULL, "OptionDef");
		struct vval *t;
		vval_str(o, "label", d->ad_key);
		vval_str(o, "summary", d->ad_summary);
		vval_str(o, "key", d->ad_key);
		switch (d->ad_type) {
		case ADV_LONG:
			t = vval_obj(o, "optionType", "LongOption");
			vval_bool(t, "valueIsReadonly", 0);
			vval_int(t, "min", "xsd:long", d->ad_min);
			vval_int(t, "max", "xsd:long", d->ad_max);
			vval_prim(t, "defaultValue", "xsd:long", d->ad_default);
			break;
		case ADV_BOOL:
			t = vval_obj(o, "optionType", "BoolOption");
			vval_bool(t, "valueIsReadonly", 0);
			vval_bool(t, "supported", 1);
			vval_prim(t, "defaultValue", "xsd:boolean",
				  d->ad_default);
			break;
		case ADV_STRING:
			t = vval_obj(o, "optionType", "StringOption");
			vval_bool(t, "valueIsReadonly", 0);
			vval_str(t, "defaultValue", d->ad_default);
			break;
		}
	}
	return a;
}

static enum mo_prop_result adv_prop(struct vim_call *c, const char *id,
				    const char *name, struct vval **out)
{
	*out = NULL;
	if (!adv_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "setting") == 0)
		*out = vim_adv_settings(c->vc_hostd, NULL, NULL, "");
	else if (strcmp(name, "supportedOption") == 0)
		*out = supported();
	else
		return MO_PROP_UNKNOWN;
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const adv_props[] = {"setting", "supportedOption", NULL};

const struct mo_type mo_option_manager = {
	.mt_name = "OptionManager",
	.mt_exists = adv_exists,
	.mt_prop = adv_prop,
	.mt_props = adv_props,
};

static int invalid_name(struct vim_call *c, const char *name)
{
	return vim_fault_field(c, "InvalidName", "name", name,
			       "No option '%s' on this host", name);
}

static int query_options(struct vim_call *c)
{
	char name[256] = "";
	struct soap_node *n = soap_arg(c->vc_req, "name");
	struct vval *a;
	int any = 0;

	if (!adv_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (n != NULL && soap_text(n, name, sizeof(name)) < 0)
		return vim_fault_invalid_argument(c, "name");
	for (size_t i = 0; i < adv_count; i++)
		any |= matches(adv_defs[i].ad_key, name);
	if (!any)
		return invalid_name(c, name);
	a = vim_adv_settings(c->vc_hostd, NULL, NULL, name);
	if (a == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	vval_write(&c->vc_out, "returnval", a);
	vval_free(a);
	return 0;
}

/* The kind of value an xsi:type carries, for the option's type. */
static int type_fits(enum adv_type t, const char *xsi)
{
	if (xsi[0] == '\0')
		return 1; /* untyped: the text decides */
	switch (t) {
	case ADV_LONG:
		return strcmp(xsi, "long") == 0 || strcmp(xsi, "int") == 0 ||
		       strcmp(xsi, "short") == 0 || strcmp(xsi, "byte") == 0;
	case ADV_BOOL:
		return strcmp(xsi, "boolean") == 0;
	case ADV_STRING:
		return strcmp(xsi, "string") == 0;
	}
	return 0;
}

static int update_options(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	size_t index[ADV_UPDATE_MAX], n = 0;
	char *text[ADV_UPDATE_MAX];
	struct err e = {0};
	int rc = 0;

	if (!adv_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	for (struct soap_node *cv = soap_arg(c->vc_req, "changedValue");
	     cv != NULL; cv = soap_next(cv, "changedValue")) {
		char key[256], xsi[SOAP_NAME_MAX];
		struct soap_node *val = soap_child(cv, "value");
		const struct adv_def *d;
		if (n == ADV_UPDATE_MAX) {
			rc = vim_fault_invalid_argument(c, "changedValue");
			goto out;
		}
		if (soap_text(soap_child(cv, "key"), key, sizeof(key)) < 0) {
			rc = vim_fault_invalid_argument(c, "changedValue.key");
			goto out;
		}
		d = adv_find(key, &index[n]);
		if (d == NULL) {
			rc = invalid_name(c, key);
			goto out;
		}
		text[n] = malloc(ADV_VALUE_MAX);
		if (text[n] == NULL) {
			rc = vim_fault(c, "SystemError",
				       "<reason>memory</reason>",
				       "out of memory");
			goto out;
		}
		n++;
		soap_xsi_type(val, xsi, sizeof(xsi));
		if (val == NULL ||
		    soap_text(val, text[n - 1], ADV_VALUE_MAX) < 0 ||
		    !type_fits(d->ad_type, xsi) ||
		    adv_check(d, text[n - 1], &e) < 0) {
			if (e.e_code == 0)
				err_set(&e, -EINVAL, "%s: expected a %s value",
					key,
					d->ad_type == ADV_LONG	 ? "long"
					: d->ad_type == ADV_BOOL ? "boolean"
								 : "string");
			rc = vim_fault_field(c, "InvalidArgument",
					     "invalidProperty", key,
					     "A specified parameter was not "
					     "correct: %s",
					     err_msg(&e));
			goto out;
		}
	}
	if (adv_set(h, index, (const char *const *)text, n, &e) < 0) {
		rc = vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		log_info("api: %s set %s = \"%s\"",
			 c->vc_session != NULL ? c->vc_session->vs_user : "?",
			 adv_defs[index[k]].ad_key, text[k]);
	if (n > 0)
		vim_changed(h);
out:
	for (size_t k = 0; k < n; k++)
		free(text[k]);
	return rc;
}

const struct vim_method vim_option_manager_methods[] = {
	{"QueryOptions", "OptionManager", 0, query_options},
	{"UpdateOptions", "OptionManager", 0, update_options},
	{NULL, NULL, 0, NULL},
};
