/* The key is the directory itself, not its spelling (core/ident.h): a tree
 * replaced at the same path with the same mtimes and sizes (a release
 * extracted over the last one, bind mounts or container images taking
 * turns at one mount point) never gets the old tree's bytecode, and one
 * directory keeps one entry however it is reached (a symlink, "..",
 * /proc/self/cwd, a bind mount, an image mounted again). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* A release of a one-module package at dir/app: its VERSION is version
 * (the same length in every release), its files dated at a fixed time, as
 * tar, cp -p and rsync -a keep them. */
static void release(const char *dir, const char *version)
{
	char path[PATH_MAX], text[128];
	HARNESS_PATH(path, "%s/app", dir);
	cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
	cr_assert(mkdir(path, 0755) == 0, "%s: %s", path, strerror(errno));
	HARNESS_PATH(path, "%s/app/__init__.py", dir);
	HARNESS_PATH(text, "VERSION = '%s'\n", version);
	harness_write_file(path, text);
	struct timespec t[2] = { { .tv_sec = 1600000000 }, { .tv_sec = 1600000000 } };
	cr_assert(utimensat(AT_FDCWD, path, t, 0) == 0);
}

/* What `import app` prints from cwd under the library (env added). */
static const char *version_in(const struct harness_fixture *f, const struct harness_interp *py,
			      const char *cwd, const char *const *env)
{
	static char out[256];
	struct harness_result *r = malloc(sizeof *r);
	harness_run_redirected(
	    r, f, cwd, env,
	    (const char *[]){ py->path, "-c", "import app; print(app.VERSION)", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	HARNESS_PATH(out, "%s", r->out);
	free(r);
	return out;
}

/* Release 1.0.1 imported, its tree removed, 1.0.2 extracted at the same
 * path: Python's own check (mtime and size) cannot tell them apart, so the
 * key must. (The directory comes back at once: on ext4 with the inode
 * number of the old one, and a birth time within the same jiffy.) */
static void replaced_tree(const struct harness_interp *py, struct harness_fixture *f)
{
	char w[PATH_MAX], app[PATH_MAX];
	HARNESS_PATH(w, "%s/w", f->dir);
	HARNESS_PATH(app, "%s/app", w);
	for (int round = 0; round < 3; round++) {
		char v[16];
		HARNESS_PATH(v, "1.0.%d", round);
		harness_rmtree(app);
		release(w, v);
		char want[32];
		HARNESS_PATH(want, "%s\n", v);
		cr_assert_str_eq(version_in(f, py, w, NULL), want, "%s: round %d", py->label,
				 round);
		cr_assert_str_eq(version_in(f, py, w, NULL), want, "%s: round %d, warm", py->label,
				 round);
	}
	cr_assert_eq(harness_count_bytecode(w, NULL, 0), 0, "%s", py->label);
}

Test(identity, a_tree_replaced_at_the_same_path_runs_its_own_code)
{
	harness_each_python(replaced_tree);
}

/* The modification time, to the nanosecond, of the central pyc of
 * app/__init__ in the tree at dir. */
static struct timespec pyc_time(const struct harness_fixture *f, const struct harness_interp *py,
				const char *dir)
{
	char src[PATH_MAX], pyc[PATH_MAX], name[64];
	HARNESS_PATH(src, "%s/app", dir);
	HARNESS_PATH(name, py->major == 2 ? "__init__.pyc" : "__init__.%s.pyc", py->tag);
	layout_central_of_dir(pyc, sizeof pyc, f->root, src, name);
	struct stat st;
	cr_assert(stat(pyc, &st) == 0, "%s: no %s", py->label, pyc);
	return st.st_mtim;
}

/* One directory, one entry: reached through a symlink, through
 * "link/../", and through /proc/self/cwd, it is compiled once. */
static void spellings(const struct harness_interp *py, struct harness_fixture *f)
{
	char w[PATH_MAX], link[PATH_MAX], up[PATH_MAX];
	HARNESS_PATH(w, "%s/w", f->dir);
	release(w, "1.0.0");
	cr_assert_str_eq(version_in(f, py, w, NULL), "1.0.0\n", "%s", py->label);
	time_t first = pyc_time(f, py, w).tv_sec;
	sleep(1); /* a pyc written again would have a later mtime */

	HARNESS_PATH(link, "%s/link", f->dir);
	cr_assert(symlink(w, link) == 0);
	cr_assert_str_eq(version_in(f, py, link, NULL), "1.0.0\n", "%s: through a symlink",
			 py->label);
	char pythonpath[PATH_MAX + 16];
	HARNESS_PATH(up, "%s/w/app", f->dir);
	HARNESS_PATH(pythonpath, "PYTHONPATH=%s/..", up);
	cr_assert_str_eq(version_in(f, py, "/", (const char *[]){ pythonpath, NULL }), "1.0.0\n",
			 "%s: through app/..", py->label);
	cr_assert_str_eq(
	    version_in(f, py, w, (const char *[]){ "PYTHONPATH=/proc/self/cwd", NULL }), "1.0.0\n",
	    "%s: through /proc/self/cwd", py->label);
	cr_assert_eq(pyc_time(f, py, w).tv_sec, first, "%s: compiled again under another spelling",
		     py->label);
	cr_assert_eq(harness_count_files(f->root, ".src"), 1, "%s: entries of their own",
		     py->label);
}

Test(identity, one_directory_has_one_entry_however_it_is_spelled)
{
	harness_each_python(spellings);
}

/* An entry whose recorded directory was replaced by another is an orphan:
 * prune --orphans removes it, and keeps the live one. */
Test(identity, prune_removes_the_entries_of_a_replaced_tree)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	f.library = py->library;
	char w[PATH_MAX], app[PATH_MAX];
	HARNESS_PATH(w, "%s/w", f.dir);
	HARNESS_PATH(app, "%s/app", w);
	release(w, "1.0.1");
	cr_assert_str_eq(version_in(&f, py, w, NULL), "1.0.1\n");
	harness_rmtree(app);
	release(w, "1.0.2");
	cr_assert_str_eq(version_in(&f, py, w, NULL), "1.0.2\n");
	cr_assert_eq(harness_count_files(f.root, ".src"), 2);
	char env_dir[PATH_MAX + 32];
	HARNESS_PATH(env_dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r = harness_cli(&f, NULL, (const char *[]){ env_dir, NULL },
					       (const char *[]){ "prune", "--orphans", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "removed 1 entry"), "%s", r->out);
	free(r);
	cr_assert_eq(harness_count_files(f.root, ".src"), 1);
	pyc_time(&f, py, w); /* the live entry stayed */
	harness_fixture_fini(&f);
}

/* ---- mounts ---- */

/* sh -c script in a private mount namespace, with the library and the
 * fixture's root; $1 is f->dir, $2 the interpreter. What it prints. */
static struct harness_result *in_namespace(const struct harness_fixture *f,
					   const struct harness_interp *py, const char *script)
{
	char unshare[PATH_MAX];
	cr_assert(harness_have_program("unshare", unshare, sizeof unshare));
	struct harness_result *r = malloc(sizeof *r);
	harness_run_redirected(r, f, f->dir, NULL,
			       (const char *[]){ unshare, "-m", "/bin/sh", "-ec", script, "sh",
						 f->dir, py->path, NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	return r;
}

/* Two trees taking turns at one mount point (two releases bind-mounted at
 * /app in turn, a cache volume shared by two containers), and one tree
 * reached through a second bind mount, which keeps its entry. */
static void bind_mounts(const struct harness_interp *py, struct harness_fixture *f)
{
	char a[PATH_MAX], b[PATH_MAX], mnt[PATH_MAX];
	HARNESS_PATH(a, "%s/a", f->dir);
	HARNESS_PATH(b, "%s/b", f->dir);
	HARNESS_PATH(mnt, "%s/mnt", f->dir);
	release(a, "A.0.0");
	release(b, "B.0.0");
	cr_assert(mkdir(mnt, 0755) == 0);
	static const char script[] =
	    "cd \"$1\"; v() { (cd \"$1/mnt\" && \"$2\" -c 'import app; print(app.VERSION)'); }\n"
	    "mount --bind a mnt; v \"$@\"; v \"$@\"; umount mnt\n"
	    "mount --bind b mnt; v \"$@\"; umount mnt\n"
	    "mount --bind a mnt; v \"$@\"; umount mnt\n";
	struct harness_result *r = in_namespace(f, py, script);
	cr_assert_str_eq(r->out, "A.0.0\nA.0.0\nB.0.0\nA.0.0\n", "%s: %s", py->label, r->err);
	free(r);
	/* a, reached through the mount point, is a's one entry; b has its own. */
	cr_assert_eq(harness_count_files(f->root, ".src"), 2, "%s", py->label);
	pyc_time(f, py, a);
	pyc_time(f, py, b);
}

Test(identity, bind_mounts_taking_turns_never_share_an_entry)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace for bind mounts");
	harness_each_python(bind_mounts);
}

/* Container images as overlayfs: two images at one mount point do not
 * share; one image mounted again (a container restarted, with a new upper
 * layer) keeps its hits. */
static void overlays(const struct harness_interp *py, struct harness_fixture *f)
{
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/img1", f->dir);
	release(path, "1.1.1");
	HARNESS_PATH(path, "%s/img2", f->dir);
	release(path, "2.2.2");
	const char *dirs[] = { "base", "up1", "up2", "up3", "work1", "work2", "work3", "mnt" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		HARNESS_PATH(path, "%s/%s", f->dir, dirs[i]);
		cr_assert(mkdir(path, 0755) == 0);
	}
	static const char script[] =
	    "cd \"$1\"; v() { (cd \"$1/mnt\" && \"$2\" -c 'import app; print(app.VERSION)'); }\n"
	    "o() { mount -t overlay pcr -o lowerdir=\"$1/$3:$1/base\",upperdir=\"$1/$4\","
	    "workdir=\"$1/$5\" mnt; }\n"
	    "o \"$1\" x img1 up1 work1; v \"$@\"; umount mnt\n"
	    "o \"$1\" x img2 up2 work2; v \"$@\"; umount mnt\n"
	    "o \"$1\" x img1 up3 work3; v \"$@\"; umount mnt\n";
	struct harness_result *r = in_namespace(f, py, script);
	cr_assert_str_eq(r->out, "1.1.1\n2.2.2\n1.1.1\n", "%s: %s", py->label, r->err);
	free(r);
	cr_assert_eq(harness_count_files(f->root, ".src"), 2,
		     "%s: img1 mounted again got an entry "
		     "of its own",
		     py->label);
}

Test(identity, container_images_share_only_with_themselves)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace for overlayfs");
	harness_each_python(overlays);
}

/* A chroot that sees the cache root and the tree at other paths (a build
 * root, a container without its own mount namespace): the same directory
 * is the same entry inside and out, whichever side compiled it, and the
 * tree stays clean on both. */
static void chroots(const struct harness_interp *py, struct harness_fixture *f)
{
	if (py->in_root) { /* its launcher would have to be in the jail, and its root */
		fprintf(stderr, "e2e: %s: skipped: a jail of the host's own directories\n",
			py->label);
		return;
	}
	char a[PATH_MAX], b[PATH_MAX], prefix[PATH_MAX];
	HARNESS_PATH(a, "%s/a", f->dir);
	HARNESS_PATH(b, "%s/b", f->dir);
	release(a, "A.0.0");
	release(b, "B.0.0");
	cr_assert(mkdir(f->root, 0700) == 0 || errno == EEXIST);
	/* The interpreter's installation, bound at its own path in the jail. */
	HARNESS_PATH(prefix, "%s", py->path);
	for (int up = 0; up < 2; up++)
		*strrchr(prefix, '/') = '\0';
	cr_assert_str_eq(version_in(f, py, a, NULL), "A.0.0\n", "%s", py->label);
	struct timespec a_time = pyc_time(f, py, a);

	static const char script[] =
	    "cd \"$1\"; mkdir jail jail/usr jail/dev jail/src jail/cache\n"
	    "for d in bin sbin lib lib32 lib64 libx32; do\n"
	    "  if [ -L /$d ]; then ln -s \"$(readlink /$d)\" jail/$d\n"
	    "  elif [ -d /$d ]; then mkdir jail/$d; mount --bind /$d jail/$d; fi\n"
	    "done\n"
	    "mount --bind /usr jail/usr; mount --bind /dev jail/dev\n"
	    "touch jail/pcr.so; mount --bind \"$3\" jail/pcr.so\n"
	    "case \"$4\" in /usr | /usr/*) ;; *) mkdir -p \"jail$4\"; mount --bind \"$4\" "
	    "\"jail$4\" ;; esac\n"
	    "mount --bind cache jail/cache\n"
	    "v() { chroot jail /bin/sh -c 'cd /src && exec env -i PATH=/usr/bin:/bin HOME=/ "
	    "LD_PRELOAD=/pcr.so PYCACHE_REDIRECT_DIR=/cache \"$0\" -c \"import app; "
	    "print(app.VERSION)\"' \"$1\"; }\n"
	    "mount --bind a jail/src; v \"$2\"; umount jail/src\n"
	    "mount --bind b jail/src; v \"$2\"; umount jail/src\n";
	char unshare[PATH_MAX];
	cr_assert(harness_have_program("unshare", unshare, sizeof unshare));
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f->dir, NULL,
		    (const char *[]){ unshare, "-m", "/bin/sh", "-ec", script, "sh", f->dir,
				      py->path, py->library, prefix, NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	cr_assert_str_eq(r->out, "A.0.0\nB.0.0\n", "%s: %s", py->label, r->err);
	free(r);
	/* a: the chroot read the host's pyc (not written again); b: the host
	 * reads what the chroot compiled. One entry each. */
	struct timespec again = pyc_time(f, py, a);
	cr_assert(again.tv_sec == a_time.tv_sec && again.tv_nsec == a_time.tv_nsec,
		  "%s: the chroot compiled a again", py->label);
	cr_assert_eq(harness_count_files(f->root, ".src"), 2, "%s", py->label);
	struct timespec b_time = pyc_time(f, py, b);
	cr_assert_str_eq(version_in(f, py, b, NULL), "B.0.0\n", "%s", py->label);
	again = pyc_time(f, py, b);
	cr_assert(again.tv_sec == b_time.tv_sec && again.tv_nsec == b_time.tv_nsec,
		  "%s: the host compiled b again", py->label);
	cr_assert_eq(harness_count_files(f->root, ".src"), 2, "%s", py->label);
	cr_assert_eq(harness_count_bytecode(a, NULL, 0) + harness_count_bytecode(b, NULL, 0), 0,
		     "%s", py->label);
}

Test(identity, a_chroot_shares_the_entries_of_its_directories)
{
	if (!harness_can_mount())
		cr_skip_test(
		    "needs root and a private mount namespace for the chroot's bind mounts");
	harness_each_python(chroots);
}
