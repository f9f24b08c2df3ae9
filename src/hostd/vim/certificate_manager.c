/*
 * certificate_manager.c: HostCertificateManager ha-certificate-manager:
 * the host's TLS certificate described (certificateInfo), a signing
 * request for a new key, and the signed certificate installed. The
 * files are the proxy's (<confdir>/ssl/rui.key, rui.crt); it loads the
 * new pair for new connections as soon as it is written, established
 * ones go on with the old.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/host_cert.h"
#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define CERTMGR_ID	 "ha-certificate-manager"
#define CERT_PEM_MAX	 (64u << 10)
#define EXPIRING_SOON_S	 (30L * 86400)
#define EXPIRING_SHORT_S (7L * 86400)

static int cm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, CERTMGR_ID) == 0;
}

static int config_fault(struct vim_call *c, const char *msg)
{
	return vim_fault(c, "HostConfigFault", NULL, "%s", msg);
}

static enum mo_prop_result cm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct host_cert_info ci;
	struct err e = {0};
	time_t now = time(NULL);
	char t[40];

	*out = NULL;
	if (!cm_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "certificateInfo") != 0)
		return MO_PROP_UNKNOWN;
	*out = vval_obj(NULL, NULL, "HostCertificateManagerCertificateInfo");
	if (host_cert_describe(c->vc_hostd->hd_confdir, &ci, &e) < 0) {
		vval_str(*out, "status", "unknown");
		return MO_PROP_SET;
	}
	vval_str(*out, "issuer", ci.ci_issuer);
	vim_datetime(t, sizeof(t), ci.ci_not_before);
	vval_prim(*out, "notBefore", "xsd:dateTime", t);
	vim_datetime(t, sizeof(t), ci.ci_not_after);
	vval_prim(*out, "notAfter", "xsd:dateTime", t);
	vval_str(*out, "subject", ci.ci_subject);
	vval_str(*out, "status",
		 ci.ci_not_after <= now			    ? "expired"
		 : ci.ci_not_after - now < EXPIRING_SHORT_S ? "expiringShortly"
		 : ci.ci_not_after - now < EXPIRING_SOON_S  ? "expiring"
							    : "good");
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const cm_props[] = {"certificateInfo", NULL};

const struct mo_type mo_certificate_manager = {
	.mt_name = "HostCertificateManager",
	.mt_exists = cm_exists,
	.mt_prop = cm_prop,
	.mt_props = cm_props,
};

/* GenerateCertificateSigningRequest(ByDn): a new key, kept aside, and
 * its request. */
static int csr(struct vim_call *c, int by_dn)
{
	char dn[512] = "", cn[256];
	char *pem = NULL;
	struct err e = {0};
	int rc;

	if (!cm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (by_dn) {
		if (soap_text(soap_arg(c->vc_req, "distinguishedName"), dn,
			      sizeof(dn)) < 0 ||
		    dn[0] == '\0')
			return vim_fault_invalid_argument(c,
							  "distinguishedName");
	}
	/* The host's name; with useIpAddressAsCommonName it would be an
	 * address, which a hosted host does not own: the name serves. */
	snprintf(cn, sizeof(cn), "%s", c->vc_hostd->hd_hostname);
	rc = host_cert_csr(c->vc_hostd->hd_confdir, c->vc_hostd->hd_hostname,
			   cn, by_dn ? dn : NULL, &pem, &e);
	if (rc < 0)
		return rc == -EINVAL ? vim_fault_field(c, "InvalidArgument",
						       "invalidProperty",
						       "distinguishedName",
						       "%s", err_msg(&e))
				     : config_fault(c, err_msg(&e));
	log_info("api: %s made a certificate signing request",
		 c->vc_session->vs_user);
	xmlout_elem(&c->vc_out, "returnval", pem);
	free(pem);
	return 0;
}

static int generate_csr(struct vim_call *c)
{
	return csr(c, 0);
}

static int generate_csr_by_dn(struct vim_call *c)
{
	return csr(c, 1);
}

static int install_server_certificate(struct vim_call *c)
{
	struct err e = {0};
	char *pem = malloc(CERT_PEM_MAX);
	int rc;

	if (!cm_exists(c, c->vc_req->sr_this)) {
		free(pem);
		return vim_fault_not_found(c);
	}
	if (pem == NULL)
		return config_fault(c, "out of memory");
	if (soap_text(soap_arg(c->vc_req, "cert"), pem, CERT_PEM_MAX) < 0 ||
	    pem[0] == '\0') {
		free(pem);
		return vim_fault_invalid_argument(c, "cert");
	}
	rc = host_cert_install(c->vc_hostd->hd_confdir, pem, &e);
	free(pem);
	if (rc < 0)
		return rc == -EINVAL
			       ? vim_fault_field(c, "InvalidArgument",
						 "invalidProperty", "cert",
						 "%s", err_msg(&e))
			       : config_fault(c, err_msg(&e));
	log_info("api: %s installed a new server certificate",
		 c->vc_session->vs_user);
	vim_changed(c->vc_hostd);
	return 0;
}

/* No CA store on a standalone host yet: empty lists, and a clear no to
 * replacing them. */
static int list_empty(struct vim_call *c)
{
	if (!cm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	return 0;
}

static int replace_ca(struct vim_call *c)
{
	if (!cm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	return vim_fault(c, "NotSupported", NULL,
			 "the host keeps no CA certificates or CRLs");
}

const struct vim_method vim_certificate_manager_methods[] = {
	{"GenerateCertificateSigningRequest", "HostCertificateManager", 0,
	 generate_csr},
	{"GenerateCertificateSigningRequestByDn", "HostCertificateManager", 0,
	 generate_csr_by_dn},
	{"InstallServerCertificate", "HostCertificateManager", 0,
	 install_server_certificate},
	{"ListCACertificates", "HostCertificateManager", 0, list_empty},
	{"ListCACertificateRevocationLists", "HostCertificateManager", 0,
	 list_empty},
	{"ReplaceCACertificatesAndCRLs", "HostCertificateManager", 0,
	 replace_ca},
	{NULL, NULL, 0, NULL},
};
