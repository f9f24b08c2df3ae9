/*
 * soap.c: the request parser. expat reads the XML (namespaces resolved;
 * small, no ICU: docs/dependencies.md); we build a tree of elements,
 * refuse what a VI API client never sends (a DTD, which is also where
 * entity tricks live; documents nested deeper than SOAP_DEPTH_MAX), and
 * check the envelope's shape before any method sees it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "hostd/soap/soap.h"

/* expat joins a namespace URI and a local name with this. */
#define NS_SEP '\x01'

struct soap_attr {
	char *sa_name; /* local name */
	char *sa_ns;   /* namespace URI, or NULL */
	char *sa_value;
	struct soap_attr *sa_next;
};

struct builder {
	XML_Parser b_parser;
	struct soap_node *b_root, *b_cur;
	int b_depth;
	const char *b_why; /* a refusal of ours, or NULL */
};

/* Split expat's "uri\x01local" (or "local") into fresh strings. */
static int split_name(const char *full, char **ns, char **local)
{
	const char *sep = strchr(full, NS_SEP);

	*ns = NULL;
	if (sep != NULL) {
		*ns = strndup(full, (size_t)(sep - full));
		*local = strdup(sep + 1);
	} else {
		*local = strdup(full);
	}
	if (*local == NULL || (sep != NULL && *ns == NULL)) {
		free(*ns);
		free(*local);
		return -ENOMEM;
	}
	return 0;
}

static void attrs_free(struct soap_attr *a)
{
	while (a != NULL) {
		struct soap_attr *next = a->sa_next;
		free(a->sa_name);
		free(a->sa_ns);
		free(a->sa_value);
		free(a);
		a = next;
	}
}

void soap_node_free(struct soap_node *n)
{
	while (n != NULL) {
		struct soap_node *next = n->sn_next;
		soap_node_free(n->sn_children); /* depth is bounded */
		free(n->sn_name);
		free(n->sn_ns);
		free(n->sn_text);
		attrs_free(n->sn_attrs);
		free(n);
		n = next;
	}
}

static void refuse(struct builder *b, const char *why)
{
	if (b->b_why == NULL)
		b->b_why = why;
	XML_StopParser(b->b_parser, XML_FALSE);
}

static void append(struct soap_node *parent, struct soap_node *n)
{
	n->sn_parent = parent;
	if (parent->sn_last != NULL)
		parent->sn_last->sn_next = n;
	else
		parent->sn_children = n;
	parent->sn_last = n;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct builder *b = ud;
	struct soap_node *n;

	if (b->b_why != NULL)
		return;
	if (++b->b_depth > SOAP_DEPTH_MAX) {
		refuse(b, "the request nests elements too deeply");
		return;
	}
	if (b->b_cur == NULL && b->b_root != NULL) {
		refuse(b, "more than one root element");
		return;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL || split_name(name, &n->sn_ns, &n->sn_name) < 0 ||
	    (n->sn_text = strdup("")) == NULL) {
		if (n != NULL) {
			free(n->sn_ns);
			free(n->sn_name);
		}
		free(n);
		refuse(b, "out of memory");
		return;
	}
	if (b->b_cur != NULL)
		append(b->b_cur, n);
	else
		b->b_root = n;
	b->b_cur = n;
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		struct soap_attr *a = calloc(1, sizeof(*a));
		if (a == NULL ||
		    split_name(atts[i], &a->sa_ns, &a->sa_name) < 0 ||
		    (a->sa_value = strdup(atts[i + 1])) == NULL) {
			if (a != NULL) {
				free(a->sa_ns);
				free(a->sa_name);
			}
			free(a);
			refuse(b, "out of memory");
			return;
		}
		a->sa_next = n->sn_attrs;
		n->sn_attrs = a;
	}
}

static void on_end(void *ud, const XML_Char *name)
{
	struct builder *b = ud;

	(void)name;
	if (b->b_why != NULL)
		return;
	b->b_depth--;
	if (b->b_cur != NULL)
		b->b_cur = b->b_cur->sn_parent;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
	struct builder *b = ud;
	struct soap_node *n = b->b_cur;
	char *t;

	if (b->b_why != NULL || n == NULL || len <= 0)
		return;
	t = realloc(n->sn_text, n->sn_text_len + (size_t)len + 1);
	if (t == NULL) {
		refuse(b, "out of memory");
		return;
	}
	memcpy(t + n->sn_text_len, s, (size_t)len);
	n->sn_text_len += (size_t)len;
	t[n->sn_text_len] = '\0';
	n->sn_text = t;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	refuse(ud, "a DTD is not accepted in a request");
}

static int is_elem(const struct soap_node *n, const char *ns, const char *name)
{
	return n != NULL && strcmp(n->sn_name, name) == 0 &&
	       (ns == NULL || (n->sn_ns != NULL && strcmp(n->sn_ns, ns) == 0));
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
	struct soap_node *t = r->sr_method->sn_children;
	const char *type;

	if (t == NULL || strcmp(t->sn_name, "_this") != 0)
		return err_set(e, -EINVAL,
			       "%s: the first argument must be _this, the "
			       "target object's reference",
			       r->sr_name);
	type = soap_attr(t, "type");
	if (type == NULL ||
	    copy_name(r->sr_this_type, sizeof(r->sr_this_type), type) < 0)
		return err_set(e, -EINVAL,
			       "%s: _this needs a type attribute of at most "
			       "%d characters",
			       r->sr_name, SOAP_NAME_MAX - 1);
	if (soap_text(t, r->sr_this, sizeof(r->sr_this)) < 0 ||
	    r->sr_this[0] == '\0')
		return err_set(e, -EINVAL,
			       "%s: _this must hold an object id of 1 to %d "
			       "characters",
			       r->sr_name, SOAP_ID_MAX - 1);
	return 0;
}

int soap_parse(const char *body, size_t len, struct soap_req *r, struct err *e)
{
	struct builder b = {0};
	struct soap_node *env, *n;
	enum XML_Status st;

	memset(r, 0, sizeof(*r));
	if (len > SOAP_BODY_MAX_BYTES)
		return err_set(e, -E2BIG,
			       "request of %zu bytes: the limit is %u", len,
			       SOAP_BODY_MAX_BYTES);
	if (memmem(body, len, "<!DOCTYPE", 9) != NULL)
		return err_set(e, -EINVAL,
			       "a DTD is not accepted in a request");
	b.b_parser = XML_ParserCreateNS(NULL, NS_SEP);
	if (b.b_parser == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	XML_SetUserData(b.b_parser, &b);
	XML_SetElementHandler(b.b_parser, on_start, on_end);
	XML_SetCharacterDataHandler(b.b_parser, on_text);
	XML_SetStartDoctypeDeclHandler(b.b_parser, on_doctype);
	st = XML_Parse(b.b_parser, body, (int)len, XML_TRUE);
	r->sr_root = b.b_root;
	if (b.b_why != NULL) {
		XML_ParserFree(b.b_parser);
		return err_set(e, -EINVAL, "%s", b.b_why);
	}
	if (st != XML_STATUS_OK) {
		err_set(e, -EINVAL, "malformed XML: %s at line %lu",
			XML_ErrorString(XML_GetErrorCode(b.b_parser)),
			(unsigned long)XML_GetCurrentLineNumber(b.b_parser));
		XML_ParserFree(b.b_parser);
		return -EINVAL;
	}
	XML_ParserFree(b.b_parser);
	env = r->sr_root;
	if (!is_elem(env, SOAP_NS_ENV, "Envelope"))
		return err_set(e, -EINVAL,
			       "not a SOAP 1.1 envelope (root element must be "
			       "Envelope in %s)",
			       SOAP_NS_ENV);
	for (n = env->sn_children; n != NULL; n = n->sn_next)
		if (is_elem(n, SOAP_NS_ENV, "Body"))
			break;
	if (n == NULL)
		return err_set(e, -EINVAL, "the SOAP envelope has no Body");
	r->sr_method = n->sn_children;
	if (r->sr_method == NULL)
		return err_set(e, -EINVAL, "the SOAP Body holds no method");
	if (!is_elem(r->sr_method, SOAP_NS_VIM, r->sr_method->sn_name))
		return err_set(e, -EINVAL,
			       "method element %.64s is not in namespace %s",
			       r->sr_method->sn_name, SOAP_NS_VIM);
	if (copy_name(r->sr_name, sizeof(r->sr_name), r->sr_method->sn_name) <
	    0)
		return err_set(e, -EINVAL, "method name too long");
	return parse_this(r, e);
}

void soap_req_free(struct soap_req *r)
{
	soap_node_free(r->sr_root);
	memset(r, 0, sizeof(*r));
}

struct soap_node *soap_next(struct soap_node *n, const char *name)
{
	for (n = n != NULL ? n->sn_next : NULL; n != NULL; n = n->sn_next)
		if (is_elem(n, NULL, name))
			return n;
	return NULL;
}

struct soap_node *soap_child(struct soap_node *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (n = n->sn_children; n != NULL; n = n->sn_next)
		if (is_elem(n, NULL, name))
			return n;
	return NULL;
}

struct soap_node *soap_arg(const struct soap_req *r, const char *name)
{
	return soap_child(r->sr_method, name);
}

int soap_text(struct soap_node *n, char *buf, size_t size)
{
	if (n == NULL)
		return -ENOENT;
	buf[0] = '\0';
	if (n->sn_children != NULL)
		return -EINVAL;
	if (n->sn_text_len >= size)
		return -E2BIG;
	/* Text with a NUL in it (&#0; is not XML) cannot occur. */
	memcpy(buf, n->sn_text, n->sn_text_len + 1);
	return 0;
}

int soap_bool(struct soap_node *n, int dflt)
{
	char buf[8];

	if (soap_text(n, buf, sizeof(buf)) < 0)
		return dflt;
	if (strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0)
		return 1;
	if (strcmp(buf, "false") == 0 || strcmp(buf, "0") == 0)
		return 0;
	return dflt;
}

static const char *attr_ns(const struct soap_node *n, const char *ns,
			   const char *name)
{
	for (const struct soap_attr *a = n != NULL ? n->sn_attrs : NULL;
	     a != NULL; a = a->sa_next)
		if (strcmp(a->sa_name, name) == 0 &&
		    (ns == NULL
			     ? a->sa_ns == NULL
			     : a->sa_ns != NULL && strcmp(a->sa_ns, ns) == 0))
			return a->sa_value;
	return NULL;
}

const char *soap_attr(const struct soap_node *n, const char *name)
{
	return attr_ns(n, NULL, name);
}

void soap_xsi_type(struct soap_node *n, char *buf, size_t size)
{
	const char *s = attr_ns(n, SOAP_NS_XSI, "type"), *colon;

	buf[0] = '\0';
	if (s == NULL)
		return;
	colon = strchr(s, ':');
	if (colon != NULL)
		s = colon + 1;
	if (strlen(s) < size)
		memcpy(buf, s, strlen(s) + 1);
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = 1;
	return d;
}

/* Copy n alone (not its siblings) under parent. */
static struct soap_node *copy_one(const struct soap_node *n,
				  struct soap_node *parent, int *oom)
{
	struct soap_node *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		*oom = 1;
		return NULL;
	}
	c->sn_parent = parent;
	c->sn_name = dup_or_null(n->sn_name, oom);
	c->sn_ns = dup_or_null(n->sn_ns, oom);
	c->sn_text = dup_or_null(n->sn_text, oom);
	c->sn_text_len = n->sn_text_len;
	for (const struct soap_attr *a = n->sn_attrs; a != NULL;
	     a = a->sa_next) {
		struct soap_attr *d = calloc(1, sizeof(*d));
		if (d == NULL) {
			*oom = 1;
			break;
		}
		d->sa_name = dup_or_null(a->sa_name, oom);
		d->sa_ns = dup_or_null(a->sa_ns, oom);
		d->sa_value = dup_or_null(a->sa_value, oom);
		d->sa_next = c->sn_attrs;
		c->sn_attrs = d;
	}
	for (const struct soap_node *k = n->sn_children; k != NULL && !*oom;
	     k = k->sn_next) {
		struct soap_node *kc = copy_one(k, c, oom);
		if (kc != NULL)
			append(c, kc);
	}
	return c;
}

struct soap_node *soap_node_copy(const struct soap_node *n)
{
	int oom = 0;
	struct soap_node *c = copy_one(n, NULL, &oom);

	if (oom) {
		soap_node_free(c);
		return NULL;
	}
	return c;
}
