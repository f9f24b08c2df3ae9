/*
 * datastore_browser.c: HostDatastoreBrowser ha-host-datastorebrowser:
 * SearchDatastore_Task (one folder) and SearchDatastoreSubFolders_Task
 * (a folder and every folder below it) with the search spec's queries
 * (file kinds), match patterns and details. A file's kind comes from its
 * name: Basalt's disks are raw .img files. Links are listed, never
 * followed into; an answer holds at most SEARCH_FILES_MAX entries.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/task.h"

#define BROWSER_ID	    "ha-host-datastorebrowser"
#define SEARCH_FILES_MAX    10000
#define SEARCH_DEPTH_MAX    16
#define SEARCH_PATTERNS_MAX 32

enum kind {
	K_FOLDER,
	K_VMCONFIG,
	K_TEMPLATE,
	K_DISK,
	K_LOG,
	K_NVRAM,
	K_SNAPSHOT,
	K_ISO,
	K_FLOPPY,
	K_FILE,
	K_COUNT
};

static const struct {
	const char *query, *info;
} kinds[K_COUNT] = {
	[K_FOLDER] = {"FolderFileQuery", "FolderFileInfo"},
	[K_VMCONFIG] = {"VmConfigFileQuery", "VmConfigFileInfo"},
	[K_TEMPLATE] = {"TemplateConfigFileQuery", "TemplateConfigFileInfo"},
	[K_DISK] = {"VmDiskFileQuery", "VmDiskFileInfo"},
	[K_LOG] = {"VmLogFileQuery", "VmLogFileInfo"},
	[K_NVRAM] = {"VmNvramFileQuery", "VmNvramFileInfo"},
	[K_SNAPSHOT] = {"VmSnapshotFileQuery", "VmSnapshotFileInfo"},
	[K_ISO] = {"IsoImageFileQuery", "IsoImageFileInfo"},
	[K_FLOPPY] = {"FloppyImageFileQuery", "FloppyImageFileInfo"},
	[K_FILE] = {"FileQuery", "FileInfo"},
};

struct search {
	unsigned se_kinds; /* bit per kind; all when no query */
	int se_type, se_size, se_mtime, se_owner; /* details */
	int se_nocase, se_folders_first;
	char se_patterns[SEARCH_PATTERNS_MAX][256];
	int se_npatterns;
	const struct datastore *se_ds;
	size_t se_files; /* entries so far */
	int se_truncated;
};

static int browser_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, BROWSER_ID) == 0;
}

static struct vval *supported_types(void)
{
	struct vval *a = vval_array(NULL, NULL, "FileQuery");

	for (int k = 0; k < K_COUNT; k++)
		if (k != K_FILE)
			vval_obj(a, NULL, kinds[k].query);
	return a;
}

static enum mo_prop_result browser_prop(struct vim_call *c, const char *id,
					const char *name, struct vval **out)
{
	*out = NULL;
	if (!browser_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "datastore") == 0)
		return vim_datastore_refs(c, out);
	if (strcmp(name, "supportedType") == 0)
		*out = supported_types();
	else
		return MO_PROP_UNKNOWN;
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const browser_props[] = {"datastore", "supportedType", NULL};

const struct mo_type mo_datastore_browser = {
	.mt_name = "HostDatastoreBrowser",
	.mt_exists = browser_exists,
	.mt_prop = browser_prop,
	.mt_props = browser_props,
};

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcasecmp(s + n - t, tail) == 0;
}

static enum kind classify(const char *name, int is_dir)
{
	if (is_dir)
		return K_FOLDER;
	if (ends_with(name, ".vmx"))
		return K_VMCONFIG;
	if (ends_with(name, ".vmtx"))
		return K_TEMPLATE;
	if (ends_with(name, ".img") ||
	    (ends_with(name, ".vmdk") && !ends_with(name, "-flat.vmdk")))
		return K_DISK;
	if (ends_with(name, ".log"))
		return K_LOG;
	if (ends_with(name, ".nvram"))
		return K_NVRAM;
	if (ends_with(name, ".vmsn"))
		return K_SNAPSHOT;
	if (ends_with(name, ".iso"))
		return K_ISO;
	if (ends_with(name, ".flp"))
		return K_FLOPPY;
	return K_FILE;
}

/* The search spec; -1 after a fault. */
static int parse_spec(struct vim_call *c, struct soap_node *spec,
		      struct search *se)
{
	struct soap_node *d = soap_child(spec, "details");

	memset(se, 0, sizeof(*se));
	for (struct soap_node *q = soap_child(spec, "query"); q != NULL;
	     q = soap_next(q, "query")) {
		char type[SOAP_NAME_MAX];
		int k;
		soap_xsi_type(q, type, sizeof(type));
		for (k = 0; k < K_COUNT; k++)
			if (strcmp(type, kinds[k].query) == 0)
				break;
		if (k == K_COUNT) {
			vim_fault_invalid_argument(c, "searchSpec.query");
			return -1;
		}
		se->se_kinds |= k == K_FILE ? ~0u : 1u << k;
	}
	if (se->se_kinds == 0)
		se->se_kinds = ~0u;
	if (d != NULL) {
		se->se_type = soap_bool(soap_child(d, "fileType"), 0);
		se->se_size = soap_bool(soap_child(d, "fileSize"), 0);
		se->se_mtime = soap_bool(soap_child(d, "modification"), 0);
		se->se_owner = soap_bool(soap_child(d, "fileOwner"), 0);
	}
	se->se_nocase = soap_bool(soap_child(spec, "searchCaseInsensitive"), 0);
	se->se_folders_first =
		soap_bool(soap_child(spec, "sortFoldersFirst"), 0);
	for (struct soap_node *p = soap_child(spec, "matchPattern"); p != NULL;
	     p = soap_next(p, "matchPattern")) {
		if (se->se_npatterns == SEARCH_PATTERNS_MAX ||
		    soap_text(p, se->se_patterns[se->se_npatterns],
			      sizeof(se->se_patterns[0])) < 0) {
			vim_fault_invalid_argument(c,
						   "searchSpec.matchPattern");
			return -1;
		}
		se->se_npatterns++;
	}
	return 0;
}

static int wanted(const struct search *se, const char *name, enum kind k)
{
	if (!(se->se_kinds & (1u << k)) &&
	    !(k == K_TEMPLATE && (se->se_kinds & (1u << K_VMCONFIG))))
		return 0;
	if (se->se_npatterns == 0)
		return 1;
	for (int i = 0; i < se->se_npatterns; i++)
		if (fnmatch(se->se_patterns[i], name,
			    se->se_nocase ? FNM_CASEFOLD : 0) == 0)
			return 1;
	return 0;
}

static void add_file(const struct search *se, struct vval *files,
		     const char *name, const struct stat *st, enum kind k)
{
	/* Folders always say so; other kinds when fileType is asked. */
	const char *type =
		k == K_FOLDER || se->se_type ? kinds[k].info : "FileInfo";
	struct vval *f = vval_obj(files, NULL, type);

	vval_str(f, "path", name);
	if (se->se_size)
		vval_int(f, "fileSize", "xsd:long", (long long)st->st_size);
	if (se->se_mtime) {
		char t[40];
		vim_datetime(t, sizeof(t), st->st_mtime);
		vval_prim(f, "modification", "xsd:dateTime", t);
	}
	if (se->se_owner) {
		struct passwd pw, *res = NULL;
		char buf[1024];
		if (getpwuid_r(st->st_uid, &pw, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			vval_str(f, "owner", pw.pw_name);
	}
	if (k == K_DISK && se->se_type && strcmp(type, "VmDiskFileInfo") == 0)
		vval_int(f, "capacityKb", "xsd:long",
			 (long long)st->st_size / 1024);
}

struct entry {
	char name[256];
	struct stat st;
	enum kind kind;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static int folders_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if ((x->kind == K_FOLDER) != (y->kind == K_FOLDER))
		return x->kind == K_FOLDER ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A folder's entries (not . and ..), sorted; NULL and -errno in *rc on
 * failure. */
static struct entry *read_folder(const char *dir, size_t *n, int ff, int *rc)
{
	struct entry *all = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	*rc = 0;
	if (d == NULL) {
		*rc = -errno;
		return NULL;
	}
	while ((de = readdir(d)) != NULL && *n < SEARCH_FILES_MAX) {
		char path[PATH_MAX + 256];
		struct entry *e;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strlen(de->d_name) >= sizeof(all->name))
			continue;
		if (*n == cap) {
			struct entry *na;
			cap = cap ? cap * 2 : 32;
			na = realloc(all, cap * sizeof(*all));
			if (na == NULL) {
				*rc = -ENOMEM;
				break;
			}
			all = na;
		}
		e = &all[*n];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &e->st) < 0)
			continue; /* went away meanwhile */
		strcpy(e->name, de->d_name);
		e->kind = classify(e->name, S_ISDIR(e->st.st_mode));
		(*n)++;
	}
	closedir(d);
	if (*rc < 0) {
		free(all);
		return NULL;
	}
	qsort(all, *n, sizeof(*all), ff ? folders_first : by_name);
	if (all == NULL)
		all = malloc(sizeof(*all)); /* an empty folder */
	if (all == NULL)
		*rc = -ENOMEM;
	return all;
}

static void child_path(char *out, size_t size, const char *folder,
		       const char *name)
{
	size_t n = strlen(folder);

	if (n > 0 && folder[n - 1] == ']')
		snprintf(out, size, "%s %s", folder, name);
	else if (n > 0 && folder[n - 1] == '/')
		snprintf(out, size, "%s%s", folder, name);
	else
		snprintf(out, size, "%s/%s", folder, name);
}

/* Search dir (datastore path folder) into results; below it too when
 * depth >= 0 (its depth so far). */
static int search_folder(struct search *se, struct vval *results,
			 const char *dir, const char *folder, int depth)
{
	struct vval *r =
		vval_obj(results, NULL, "HostDatastoreBrowserSearchResults");
	struct vval *files;
	size_t n;
	int rc;
	struct entry *all = read_folder(dir, &n, se->se_folders_first, &rc);

	if (all == NULL)
		return rc;
	vval_moref(r, "datastore", "Datastore", se->se_ds->ds_id);
	vval_str(r, "folderPath", folder);
	files = vval_array(r, "file", "FileInfo");
	for (size_t i = 0; i < n; i++) {
		if (se->se_files >= SEARCH_FILES_MAX) {
			se->se_truncated = 1;
			break;
		}
		if (wanted(se, all[i].name, all[i].kind)) {
			add_file(se, files, all[i].name, &all[i].st,
				 all[i].kind);
			se->se_files++;
		}
	}
	for (size_t i = 0; depth >= 0 && i < n && !se->se_truncated; i++) {
		char sub[PATH_MAX], subfolder[PATH_MAX];
		if (all[i].kind != K_FOLDER)
			continue;
		if (depth + 1 >= SEARCH_DEPTH_MAX) {
			se->se_truncated = 1;
			break;
		}
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, all[i].name) >=
		    (int)sizeof(sub))
			continue;
		child_path(subfolder, sizeof(subfolder), folder, all[i].name);
		rc = search_folder(se, results, sub, subfolder, depth + 1);
		if (rc < 0 && rc != -ENOENT && rc != -EACCES)
			break;
	}
	free(all);
	return 0;
}

static int search(struct vim_call *c, int recurse)
{
	struct hostd *h = c->vc_hostd;
	const char *method = recurse ? "SearchDatastoreSubFolders_Task"
				     : "SearchDatastore_Task";
	char dspath[PATH_MAX], path[PATH_MAX];
	struct soap_node *spec = soap_arg(c->vc_req, "searchSpec");
	struct datastore ds;
	struct search *se;
	struct vim_task *t;
	struct vval *res;
	struct stat st;
	int rc;

	if (!browser_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "datastorePath"), dspath,
		      sizeof(dspath)) < 0 ||
	    dspath[0] == '\0')
		return vim_fault_invalid_argument(c, "datastorePath");
	se = malloc(sizeof(*se));
	if (se == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	if (parse_spec(c, spec, se) < 0) {
		free(se);
		return 0;
	}
	rc = datastore_resolve_inside(h, dspath, path, sizeof(path), &ds);
	if (rc < 0) {
		free(se);
		return vim_fault_ds_path(c, dspath, rc);
	}
	se->se_ds = &ds;
	t = vim_task_start(c, method,
			   recurse ? "HostDatastoreBrowser."
				     "searchSubFolders"
				   : "HostDatastoreBrowser.search",
			   "Datastore", ds.ds_id, ds.ds_name);
	if (t == NULL) {
		free(se);
		return vim_fault(c, "SystemError", NULL, "out of memory");
	}
	res = vval_array(NULL, NULL, "HostDatastoreBrowserSearchResults");
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		vim_task_fail_file(h, t, "FileNotFound", dspath,
				   "Folder %s was not found", dspath);
	} else if ((rc = search_folder(se, res, path, dspath,
				       recurse ? 0 : -1)) < 0) {
		vim_task_fail_file(h, t, "FileFault", dspath, "%s: %s", dspath,
				   strerror(-rc));
	} else if (res == NULL || res->vv_first == NULL) {
		vim_task_fail(h, t, "SystemError", NULL, "out of memory");
	} else {
		struct vval *one;
		if (se->se_truncated)
			log_info("api: search of %s cut at %d entries or %d "
				 "levels",
				 dspath, SEARCH_FILES_MAX, SEARCH_DEPTH_MAX);
		if (recurse) {
			vim_task_succeed(h, t, vval_any(res));
			res = NULL;
		} else {
			one = vval_copy(NULL, NULL, res->vv_first);
			vim_task_succeed(h, t,
					 one != NULL ? vval_any(one) : NULL);
		}
	}
	vval_free(res);
	free(se);
	return vim_task_return(c, t);
}

static int search_datastore(struct vim_call *c)
{
	return search(c, 0);
}

static int search_subfolders(struct vim_call *c)
{
	return search(c, 1);
}

const struct vim_method vim_datastore_browser_methods[] = {
	{"SearchDatastore_Task", "HostDatastoreBrowser", 0, search_datastore},
	{"SearchDatastoreSubFolders_Task", "HostDatastoreBrowser", 0,
	 search_subfolders},
	{NULL, NULL, 0, NULL},
};
