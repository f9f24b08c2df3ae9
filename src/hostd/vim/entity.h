/*
 * entity.h: the properties every ManagedEntity shares.
 */
#ifndef BASALT_HOSTD_ENTITY_H
#define BASALT_HOSTD_ENTITY_H

#include "hostd/vim/mo.h"

/* Property prop of an entity called name under parent (NULL: none). */
enum mo_prop_result entity_prop(const char *prop, const char *name,
				const char *parent_type, const char *parent_id,
				struct vval **out);

/* The networks (port groups, one per host bridge), as references
 * (network.c). */
enum mo_prop_result vim_network_refs(struct vim_call *c, struct vval **out);

#define ENTITY_PROPS                                                           \
	"name", "parent", "overallStatus", "configStatus",                     \
		"alarmActionsEnabled", "effectiveRole"

#endif
