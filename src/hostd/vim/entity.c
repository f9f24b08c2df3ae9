/*
 * entity.c: what every ManagedEntity has (name, parent, status, ...), for
 * the inventory objects' property functions.
 */
#include <string.h>

#include "hostd/vim/entity.h"

enum mo_prop_result entity_prop(const char *prop, const char *name,
				const char *parent_type, const char *parent_id,
				struct vval **out)
{
	if (strcmp(prop, "name") == 0) {
		*out = vval_str(NULL, NULL, name);
	} else if (strcmp(prop, "parent") == 0) {
		if (parent_type == NULL)
			return MO_PROP_UNSET;
		*out = vval_moref(NULL, NULL, parent_type, parent_id);
	} else if (strcmp(prop, "overallStatus") == 0 ||
		   strcmp(prop, "configStatus") == 0) {
		*out = vval_prim(NULL, NULL, "ManagedEntityStatus", "green");
	} else if (strcmp(prop, "alarmActionsEnabled") == 0) {
		*out = vval_bool(NULL, NULL, 1);
	} else if (strcmp(prop, "effectiveRole") == 0) {
		/* Issue 5 computes it; root is Admin (-1) everywhere now. */
		*out = vval_array(NULL, NULL, "int");
		vval_int(*out, NULL, "xsd:int", -1);
	} else {
		/* Arrays with nothing in them yet: empty, not unset, as
		 * clients loop over them. */
		static const char *const empty[][2] = {
			{"configIssue", "Event"},
			{"declaredAlarmState", "AlarmState"},
			{"disabledMethod", "string"},
			{"permission", "Permission"},
			{"recentTask", "ManagedObjectReference"},
			{"tag", "Tag"},
			{"triggeredAlarmState", "AlarmState"},
			{"value", "CustomFieldValue"},
			{"availableField", "CustomFieldDef"},
			{"customValue", "CustomFieldValue"},
		};
		for (size_t i = 0; i < sizeof(empty) / sizeof(*empty); i++)
			if (strcmp(prop, empty[i][0]) == 0) {
				*out = vval_array(NULL, NULL, empty[i][1]);
				return *out != NULL ? MO_PROP_SET
						    : MO_PROP_UNSET;
			}
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}
