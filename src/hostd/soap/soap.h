/*
 * soap.h: a VI API request as it arrives on POST /sdk: a SOAP 1.1
 * envelope whose body holds one method element in urn:vim25, its first
 * child _this (the target's reference), then the arguments. Namespaces
 * are resolved, never matched by prefix (pyVmomi and govmomi spell them
 * differently; ../shared/docs/vi-api.md §3). The request becomes a small
 * tree of elements (text and attributes kept with each element).
 */
#ifndef BASALT_HOSTD_SOAP_H
#define BASALT_HOSTD_SOAP_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define SOAP_NS_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_NS_VIM "urn:vim25"
#define SOAP_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Larger requests are refused before parsing (a ReconfigVM_Task with every
 * device is a few tens of KiB). */
#define SOAP_BODY_MAX_BYTES (4u << 20)
#define SOAP_NAME_MAX	    64
#define SOAP_ID_MAX	    256
/* Deeper documents are refused (a PropertyFilterSpec nests about ten). */
#define SOAP_DEPTH_MAX 128

struct soap_attr;

/* An element: its children are elements; its text is what character
 * data it holds directly, joined. */
struct soap_node {
	char *sn_name; /* local name */
	char *sn_ns;   /* namespace URI, or NULL */
	char *sn_text; /* NUL-terminated, "" when none */
	size_t sn_text_len;
	struct soap_attr *sn_attrs;
	struct soap_node *sn_parent, *sn_children, *sn_last, *sn_next;
};

struct soap_req {
	struct soap_node *sr_root;   /* the Envelope */
	struct soap_node *sr_method; /* the method element */
	char sr_name[SOAP_NAME_MAX]; /* its name: "RetrieveServiceContent" */
	char sr_this_type[SOAP_NAME_MAX]; /* _this's type attribute */
	char sr_this[SOAP_ID_MAX];	  /* _this's id */
};

/*
 * Parse body[len] into r (soap_req_free it after, also on failure). On
 * error e says what is wrong, for the fault the client gets.
 */
BASALT_MUST_CHECK int soap_parse(const char *body, size_t len,
				 struct soap_req *r, struct err *e);
void soap_req_free(struct soap_req *r);

/* The first argument element called name (after _this), or NULL. */
struct soap_node *soap_arg(const struct soap_req *r, const char *name);
/* The next sibling element of n called name (repeated arguments), or NULL. */
struct soap_node *soap_next(struct soap_node *n, const char *name);
/* The first child element of n called name, or NULL. */
struct soap_node *soap_child(struct soap_node *n, const char *name);

/*
 * The text of element n into buf[size]: 0, -E2BIG when longer, -EINVAL
 * when n holds elements instead of text. A NULL n is -ENOENT.
 */
BASALT_MUST_CHECK int soap_text(struct soap_node *n, char *buf, size_t size);

/* An xsd:boolean element: 1 for "true" or "1", 0 for "false" or "0",
 * dflt when n is NULL or holds anything else. */
int soap_bool(struct soap_node *n, int dflt);

/* n's xsi:type without its prefix ("VirtualDisk"), or "" when unset. */
void soap_xsi_type(struct soap_node *n, char *buf, size_t size);

/* n's attribute called name in no namespace ("type" of a reference), or
 * NULL. */
const char *soap_attr(const struct soap_node *n, const char *name);

/* A copy of n and all below it (NULL when out of memory); free it with
 * soap_node_free. */
struct soap_node *soap_node_copy(const struct soap_node *n);
void soap_node_free(struct soap_node *n);

#endif
