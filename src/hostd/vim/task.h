/*
 * task.h: Task objects. A *_Task method checks its arguments at once
 * (faults go back as SOAP faults), then makes a task, and the task ends
 * in success (with a result) or error (with a fault); every change wakes
 * the property waits, which is how clients follow a task
 * (../shared/docs/vi-api.md §8).
 */
#ifndef BASALT_HOSTD_TASK_H
#define BASALT_HOSTD_TASK_H

#include <time.h>

#include "hostd/vim/mo.h"

#define TASKS_KEPT 256 /* the newest ones; older ids answer not found */

enum task_state { TASK_QUEUED, TASK_RUNNING, TASK_SUCCESS, TASK_ERROR };

struct vim_task {
	char vt_id[128];
	char vt_name[64];	      /* WSDL method name: "PowerOnVM_Task" */
	char vt_desc_id[64];	      /* "VirtualMachine.powerOn" */
	char vt_etype[SOAP_NAME_MAX]; /* entity, or "" */
	char vt_eid[SOAP_ID_MAX];
	char vt_ename[256];
	char vt_user[VIM_USER_MAX];
	enum task_state vt_state;
	int vt_progress;
	struct vval *vt_result; /* anyType, or NULL */
	char vt_fault[SOAP_NAME_MAX];
	char *vt_fault_fields;
	char *vt_fault_msg;
	time_t vt_queued, vt_started, vt_completed;
	int vt_chain;
	int vt_cancelable; /* CancelTask may stop it (its worker looks) */
	int vt_cancelled;  /* CancelTask asked it to stop */
};

/* A new task, running, on entity etype:eid (etype NULL: none). NULL when
 * out of memory (the call then faults). Under the hostd lock. */
struct vim_task *vim_task_start(struct vim_call *c, const char *method,
				const char *desc_id, const char *etype,
				const char *eid, const char *ename);
/* End it; result (taken over) may be NULL. */
void vim_task_succeed(struct hostd *h, struct vim_task *t, struct vval *result);
void vim_task_fail(struct hostd *h, struct vim_task *t, const char *fault,
		   const char *fields, const char *fmt, ...)
	BASALT_PRINTF(5, 6);
/* End it in a FileFault of type ("FileNotFound"), its file field
 * dspath. */
void vim_task_fail_file(struct hostd *h, struct vim_task *t, const char *type,
			const char *dspath, const char *fmt, ...)
	BASALT_PRINTF(5, 6);
/* The task with id, or NULL once it left the ring. Under the lock. */
struct vim_task *vim_task_find(struct hostd *h, const char *id);
/* Answer the call with the task's reference. */
int vim_task_return(struct vim_call *c, const struct vim_task *t);

/* End it as cancelled (RequestCanceled), once its worker has undone what
 * it began. */
void vim_task_cancelled(struct hostd *h, struct vim_task *t);

extern const struct mo_type mo_task, mo_task_manager;

#endif
