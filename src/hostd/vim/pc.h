/*
 * pc.h: the property collector's inside, shared by its retrieve calls
 * (property_collector.c) and its filters and waits (property_filter.c).
 */
#ifndef BASALT_HOSTD_PC_H
#define BASALT_HOSTD_PC_H

#include "hostd/vim/vim.h"

struct pc_prop {
	char *pp_path; /* as requested: "runtime.powerState" */
	char *pp_val;  /* <val xsi:type="...">...</val> */
};

/* What a filter spec reports of one object. */
struct pc_content {
	char pc_type[SOAP_NAME_MAX];
	char pc_id[SOAP_ID_MAX];
	struct pc_prop *pc_props;
	size_t pc_n;
};

/*
 * Evaluate PropertyFilterSpec f: every object it reaches and reports,
 * with its properties, into *out (pc_contents_free). Returns -1 after
 * writing a fault to c.
 */
BASALT_MUST_CHECK int pc_collect_spec(struct vim_call *c, struct soap_node *f,
				      struct pc_content **out, size_t *n);
void pc_contents_free(struct pc_content *v, size_t n);

#endif
