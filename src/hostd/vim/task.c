/*
 * task.c: Task and TaskManager (ha-taskmgr). Tasks live in a ring of the
 * newest TASKS_KEPT in hostd; recentTask lists those of the last ten
 * minutes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/vim/task.h"

#define RECENT_S 600

static void task_clear(struct vim_task *t)
{
	vval_free(t->vt_result);
	free(t->vt_fault_fields);
	free(t->vt_fault_msg);
	memset(t, 0, sizeof(*t));
}

struct vim_task *vim_task_start(struct vim_call *c, const char *method,
				const char *desc_id, const char *etype,
				const char *eid, const char *ename)
{
	struct hostd *h = c->vc_hostd;
	struct vim_task *t = &h->hd_tasks[h->hd_task_next % TASKS_KEPT];

	task_clear(t);
	h->hd_task_next++;
	snprintf(t->vt_id, sizeof(t->vt_id), "haTask-%s-vim.%s-%u",
		 eid != NULL ? eid : "ha-host", desc_id, h->hd_task_next);
	snprintf(t->vt_name, sizeof(t->vt_name), "%s", method);
	snprintf(t->vt_desc_id, sizeof(t->vt_desc_id), "%s", desc_id);
	if (etype != NULL) {
		snprintf(t->vt_etype, sizeof(t->vt_etype), "%s", etype);
		snprintf(t->vt_eid, sizeof(t->vt_eid), "%s", eid);
		snprintf(t->vt_ename, sizeof(t->vt_ename), "%s",
			 ename != NULL ? ename : "");
	}
	snprintf(t->vt_user, sizeof(t->vt_user), "%s",
		 c->vc_session != NULL ? c->vc_session->vs_user : "");
	t->vt_queued = t->vt_started = time(NULL);
	t->vt_state = TASK_RUNNING;
	t->vt_chain = (int)h->hd_task_next;
	vim_changed(h);
	return t;
}

void vim_task_succeed(struct hostd *h, struct vim_task *t, struct vval *result)
{
	t->vt_result = result;
	t->vt_state = TASK_SUCCESS;
	t->vt_progress = 100;
	t->vt_completed = time(NULL);
	vim_changed(h);
}

void vim_task_fail(struct hostd *h, struct vim_task *t, const char *fault,
		   const char *fields, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(t->vt_fault, sizeof(t->vt_fault), "%s", fault);
	t->vt_fault_fields = strdup(fields != NULL ? fields : "");
	t->vt_fault_msg = strdup(msg);
	t->vt_state = TASK_ERROR;
	t->vt_completed = time(NULL);
	vim_changed(h);
}

void vim_task_fail_file(struct hostd *h, struct vim_task *t, const char *type,
			const char *dspath, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX_BYTES];
	struct xmlout f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xmlout_init(&f);
	xmlout_elem(&f, "file", dspath);
	vim_task_fail(h, t, type, f.xo_oom ? NULL : f.xo_data, "%s", msg);
	xmlout_free(&f);
}

int vim_task_return(struct vim_call *c, const struct vim_task *t)
{
	xmlout_moref(&c->vc_out, "returnval", "Task", t->vt_id);
	return 0;
}

struct vim_task *vim_task_find(struct hostd *h, const char *id)
{
	for (int i = 0; i < TASKS_KEPT; i++)
		if (h->hd_tasks[i].vt_id[0] != '\0' &&
		    strcmp(h->hd_tasks[i].vt_id, id) == 0)
			return &h->hd_tasks[i];
	return NULL;
}

static int task_exists(struct vim_call *c, const char *id)
{
	return vim_task_find(c->vc_hostd, id) != NULL;
}

static const char *state_name(enum task_state s)
{
	static const char *const n[] = {"queued", "running", "success",
					"error"};
	return n[s];
}

static struct vval *task_info(const struct vim_task *t)
{
	struct vval *i = vval_obj(NULL, NULL, "TaskInfo");
	struct vval *r;
	char d[40];

	/* TaskInfo fields in WSDL order. */
	vval_str(i, "key", t->vt_id);
	vval_moref(i, "task", "Task", t->vt_id);
	vval_prim(i, "name", "xsd:string", t->vt_name);
	vval_str(i, "descriptionId", t->vt_desc_id);
	if (t->vt_etype[0] != '\0') {
		vval_moref(i, "entity", t->vt_etype, t->vt_eid);
		vval_str(i, "entityName", t->vt_ename);
	}
	vval_prim(i, "state", "TaskInfoState", state_name(t->vt_state));
	vval_bool(i, "cancelled", t->vt_cancelled);
	vval_bool(i, "cancelable",
		  t->vt_cancelable && t->vt_state == TASK_RUNNING &&
			  !t->vt_cancelled);
	if (t->vt_state == TASK_ERROR) {
		/* A LocalizedMethodFault: the fault, then its message. */
		struct vval *e = vval_obj(i, "error", "LocalizedMethodFault");
		struct vval *f = vval_obj(e, "fault", t->vt_fault);
		vval_raw(f,
			 t->vt_fault_fields != NULL ? t->vt_fault_fields : "");
		vval_str(e, "localizedMessage",
			 t->vt_fault_msg != NULL ? t->vt_fault_msg : "");
	}
	if (t->vt_result != NULL)
		vval_any(vval_copy(i, "result", t->vt_result));
	if (t->vt_state == TASK_RUNNING)
		vval_int(i, "progress", "xsd:int", t->vt_progress);
	r = vval_obj(i, "reason", "TaskReasonUser");
	vval_str(r, "userName", t->vt_user);
	vim_datetime(d, sizeof(d), t->vt_queued);
	vval_prim(i, "queueTime", "xsd:dateTime", d);
	vim_datetime(d, sizeof(d), t->vt_started);
	vval_prim(i, "startTime", "xsd:dateTime", d);
	if (t->vt_completed != 0) {
		vim_datetime(d, sizeof(d), t->vt_completed);
		vval_prim(i, "completeTime", "xsd:dateTime", d);
	}
	vval_int(i, "eventChainId", "xsd:int", t->vt_chain);
	return i;
}

static enum mo_prop_result task_prop(struct vim_call *c, const char *id,
				     const char *name, struct vval **out)
{
	struct vim_task *t = vim_task_find(c->vc_hostd, id);

	*out = NULL;
	if (t == NULL)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "info") == 0)
		*out = task_info(t);
	else
		return MO_PROP_UNKNOWN;
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const task_props[] = {"info", NULL};

const struct mo_type mo_task = {
	.mt_name = "Task",
	.mt_base = "ExtensibleManagedObject",
	.mt_exists = task_exists,
	.mt_prop = task_prop,
	.mt_props = task_props,
};

static int tm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-taskmgr") == 0;
}

static enum mo_prop_result tm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct hostd *h = c->vc_hostd;
	time_t now = time(NULL);

	*out = NULL;
	if (!tm_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "maxCollector") == 0) {
		*out = vval_int(NULL, NULL, "xsd:int", 0);
	} else if (strcmp(name, "recentTask") == 0) {
		int any = 0;
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		/* Oldest first. */
		for (unsigned k = 0; k < TASKS_KEPT && *out != NULL; k++) {
			const struct vim_task *t =
				&h->hd_tasks[(h->hd_task_next + k) %
					     TASKS_KEPT];
			if (t->vt_id[0] == '\0' ||
			    (t->vt_completed != 0 &&
			     now - t->vt_completed > RECENT_S))
				continue;
			vval_moref(*out, NULL, "Task", t->vt_id);
			any = 1;
		}
		if (!any) {
			vval_free(*out);
			*out = NULL;
			return MO_PROP_UNSET;
		}
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const tm_props[] = {"recentTask", "maxCollector", NULL};

const struct mo_type mo_task_manager = {
	.mt_name = "TaskManager",
	.mt_exists = tm_exists,
	.mt_prop = tm_prop,
	.mt_props = tm_props,
};

void vim_task_cancelled(struct hostd *h, struct vim_task *t)
{
	vim_task_fail(h, t, "RequestCanceled", NULL,
		      "The task was canceled by a user.");
}

static int cancel_task(struct vim_call *c)
{
	struct vim_task *t = vim_task_find(c->vc_hostd, c->vc_req->sr_this);

	if (t == NULL)
		return vim_fault_not_found(c);
	if (t->vt_state == TASK_SUCCESS || t->vt_state == TASK_ERROR)
		return vim_fault(c, "InvalidState", NULL,
				 "The operation is not allowed in the current "
				 "state: the task has ended");
	if (!t->vt_cancelable)
		return vim_fault(c, "NotSupported", NULL,
				 "%s cannot be cancelled", t->vt_name);
	if (!t->vt_cancelled) {
		t->vt_cancelled = 1;
		log_info("api: %s cancels %s (%s)",
			 c->vc_session != NULL ? c->vc_session->vs_user : "?",
			 t->vt_id, t->vt_name);
		vim_changed(c->vc_hostd);
	}
	return 0;
}

const struct vim_method vim_task_methods[] = {
	{"CancelTask", "Task", 0, cancel_task},
	{NULL, NULL, 0, NULL},
};
