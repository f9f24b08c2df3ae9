/*
 * soap.c: the request parser. libxml2 builds the tree; we refuse what a
 * VI API client never sends (a DTD, which is also where entity tricks
 * live) and check the envelope's shape before any method sees it.
 */
#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

#include "hostd/soap/soap.h"

static int is_elem(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0 &&
	       (ns == NULL || (n->ns != NULL && n->ns->href != NULL &&
			       strcmp((const char *)n->ns->href, ns) == 0));
}

static xmlNode *first_elem(xmlNode *n)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static int copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -E2BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int parse_this(struct soap_req *r, struct err *e)
{
	xmlNode *t = first_elem(r->sr_method->children);
	xmlChar *type;
	int rc;

	if (t == NULL || strcmp((const char *)t->name, "_this") != 0)
		return err_set(e, -EINVAL,
			       "%s: the first argument must be _this, the "
			       "target object's reference",
			       r->sr_name);
	type = xmlGetNoNsProp(t, (const xmlChar *)"type");
	rc = type == NULL ? -EINVAL
			  : copy_name(r->sr_this_type, sizeof(r->sr_this_type),
				      (const char *)type);
	xmlFree(type);
	if (rc < 0)
		return err_set(e, -EINVAL,
			       "%s: _this needs a type attribute of at most "
			       "%d characters",
			       r->sr_name, SOAP_NAME_MAX - 1);
	rc = soap_text(t, r->sr_this, sizeof(r->sr_this));
	if (rc < 0 || r->sr_this[0] == '\0')
		return err_set(e, -EINVAL,
			       "%s: _this must hold an object id of 1 to %d "
			       "characters",
			       r->sr_name, SOAP_ID_MAX - 1);
	return 0;
}

int soap_parse(const char *body, size_t len, struct soap_req *r, struct err *e)
{
	xmlNode *env, *n;

	memset(r, 0, sizeof(*r));
	if (len > SOAP_BODY_MAX_BYTES)
		return err_set(e, -E2BIG,
			       "request of %zu bytes: the limit is %u", len,
			       SOAP_BODY_MAX_BYTES);
	if (memmem(body, len, "<!DOCTYPE", 9) != NULL)
		return err_set(e, -EINVAL,
			       "a DTD is not accepted in a request");
	r->sr_doc = xmlReadMemory(body, (int)len, "request.xml", NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR |
					  XML_PARSE_NOWARNING);
	if (r->sr_doc == NULL) {
		const xmlError *xe = xmlGetLastError();
		return err_set(e, -EINVAL, "malformed XML%s%s",
			       xe != NULL && xe->message != NULL ? ": " : "",
			       xe != NULL && xe->message != NULL ? xe->message
								 : "");
	}
	if (r->sr_doc->intSubset != NULL || r->sr_doc->extSubset != NULL)
		return err_set(e, -EINVAL,
			       "a DTD is not accepted in a request");
	env = xmlDocGetRootElement(r->sr_doc);
	if (!is_elem(env, SOAP_NS_ENV, "Envelope"))
		return err_set(e, -EINVAL,
			       "not a SOAP 1.1 envelope (root element must be "
			       "Envelope in %s)",
			       SOAP_NS_ENV);
	for (n = first_elem(env->children); n != NULL; n = first_elem(n->next))
		if (is_elem(n, SOAP_NS_ENV, "Body"))
			break;
	if (n == NULL)
		return err_set(e, -EINVAL, "the SOAP envelope has no Body");
	r->sr_method = first_elem(n->children);
	if (r->sr_method == NULL)
		return err_set(e, -EINVAL, "the SOAP Body holds no method");
	if (!is_elem(r->sr_method, SOAP_NS_VIM,
		     (const char *)r->sr_method->name))
		return err_set(e, -EINVAL,
			       "method element %.64s is not in namespace %s",
			       (const char *)r->sr_method->name, SOAP_NS_VIM);
	if (copy_name(r->sr_name, sizeof(r->sr_name),
		      (const char *)r->sr_method->name) < 0)
		return err_set(e, -EINVAL, "method name too long");
	return parse_this(r, e);
}

void soap_req_free(struct soap_req *r)
{
	if (r->sr_doc != NULL)
		xmlFreeDoc(r->sr_doc);
	memset(r, 0, sizeof(*r));
}

xmlNode *soap_next(xmlNode *n, const char *name)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (is_elem(n, NULL, name))
			return n;
	return NULL;
}

xmlNode *soap_child(xmlNode *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (n = n->children; n != NULL; n = n->next)
		if (is_elem(n, NULL, name))
			return n;
	return NULL;
}

xmlNode *soap_arg(const struct soap_req *r, const char *name)
{
	return soap_child(r->sr_method, name);
}

int soap_text(xmlNode *n, char *buf, size_t size)
{
	size_t len = 0;

	if (n == NULL)
		return -ENOENT;
	buf[0] = '\0';
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		size_t k;
		if (c->type == XML_ELEMENT_NODE)
			return -EINVAL;
		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		k = strlen((const char *)c->content);
		if (len + k >= size)
			return -E2BIG;
		memcpy(buf + len, c->content, k + 1);
		len += k;
	}
	return 0;
}

void soap_xsi_type(xmlNode *n, char *buf, size_t size)
{
	xmlChar *t = xmlGetNsProp(n, (const xmlChar *)"type",
				  (const xmlChar *)SOAP_NS_XSI);
	const char *s = (const char *)t, *colon;

	buf[0] = '\0';
	if (t == NULL)
		return;
	colon = strchr(s, ':');
	if (colon != NULL)
		s = colon + 1;
	if (strlen(s) < size)
		memcpy(buf, s, strlen(s) + 1);
	xmlFree(t);
}
