/*
 * lazyfs: a FUSE file system over a backing directory that loses, at a simulated
 * power cut, everything that was not made durable by an fsync — in the spirit of
 * Jepsen's LazyFS. A crash test that only kills the program keeps the kernel's
 * page cache, so a database that never syncs passes it; on this file system it
 * does not.
 *
 *   lazyfs BACKING MOUNTPOINT [-o fuse-option,...]
 *
 * The model:
 *  - File data lives in a page cache of our own (4 KiB pages, in memory) and is
 *    written to the backing file only by fsync/fdatasync of that file. Reads see
 *    the cached pages, so the running program sees its own writes. A size change
 *    (ftruncate, extending write, fallocate) is data too: it reaches the backing
 *    file at the next fsync.
 *  - A name created, removed or renamed in a directory is applied to the backing
 *    directory at once but recorded as undoable until that directory is fsynced
 *    (for a rename: the directory it went to). So a file created and fsynced, in
 *    a directory never fsynced, disappears; a file renamed over another reverts.
 *  - Writing anything to /.lazyfs-cut is the power cut: unsynced pages are
 *    dropped, unsynced name changes undone, newest first, and from then on every
 *    operation fails with EIO. Unmounting without a cut counts as a cut as well,
 *    so after unmount the backing directory holds exactly the synced state and a
 *    new mount over it starts from there.
 *
 * This is the worst case for loss, not for corruption. Not modelled: a real disk
 * may keep some unsynced writes, in any order, and tear a page; lazyfs drops them
 * all and an fsync is all or nothing. An fsync of a file does not make its new
 * name durable here (ext4 and XFS happen to, POSIX does not promise it). Mode,
 * owner and times are applied at once and never lost. Fsyncs of the backing disk
 * are not made: this tests the program above, not the disk below. A hard link is
 * a name created (undone at a cut unless its directory was synced), and only of a
 * file without unsynced data (one set of cached pages per name); symlinks are
 * refused; renaming a directory fails with EXDEV (so `mv` copies).
 * A lazyfs killed with SIGKILL cannot undo name changes: unmount it instead.
 *
 * Locks: no lock operations are implemented, so the kernel keeps POSIX and flock
 * locks itself, which is right for programs on this one machine (SQLite's locks).
 * Caching: no direct_io, so shared writable mmap works (SQLite maps its -shm
 * file, whose pages reach us when the kernel writes them back and are dropped at
 * a cut like any others: SQLite rebuilds its WAL index from the WAL). Without
 * writeback_cache every write(2) reaches our page cache before it returns.
 *
 * LAZYFS_FSYNC_DELAY_MS=N makes each fsync take N ms, as a disk's would, with our
 * lock released meanwhile: a cut that lands then fails the fsync (EIO) and syncs
 * nothing. Without it a cut almost never finds a commit in flight.
 * LAZYFS_TRACE=1 logs fsyncs, name changes and the cut to stderr.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define PAGE 4096
#define NEVER LLONG_MAX
#define CONTROL "/.lazyfs-cut"
#define TRASH ".lazyfs-trash"

/* A file that is open or has unsynced state. */
struct file {
    int is_directory;  /* 0: told apart from a struct directory behind a file handle */
    struct file *next;
    char *path;        /* its name now; NULL once unlinked or replaced */
    int fd;            /* the backing file, whose content is the durable content */
    off_t size;        /* the size the running program sees */
    off_t durable;     /* the backing file's size */
    off_t stale_from;  /* backing bytes from here on were truncated away: they read as zeros */
    char **pages;      /* unsynced pages by page number, NULL where clean */
    size_t capacity;
    size_t dirty;
    int opens;
};

/* An open directory: with nullpath_ok, libfuse passes no path to readdir and fsyncdir. */
struct directory {
    int is_directory;  /* 1 */
    char *path;
};

/* A name change not yet made durable by an fsync of its directory. */
struct change {
    struct change *next; /* the change before it */
    enum { CREATED, REMOVED, RENAMED } kind;
    char *dir;           /* the directory whose fsync makes it durable */
    char *path;          /* the name created or removed, or renamed to */
    char *from;          /* RENAMED: the old name */
    char *trash;         /* REMOVED: the removed file; RENAMED: the file it replaced, or NULL */
};

static char *backing_root;
static int backing = -1;
static int cut;
static int trace;
static struct file *files;
static struct change *changes;
static unsigned long trash_counter;
static long fsync_delay_ms;

/* One lock over all of the above: libfuse runs operations on several threads, so
 * that a cut can come while an fsync waits for its disk. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void unlock(int *held) { (void)held; pthread_mutex_unlock(&lock); }
#define ENTER() pthread_mutex_lock(&lock); __attribute__((cleanup(unlock))) int held_ = 1; (void)held_

static void note(const char *format, ...) {
    if (!trace) return;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "lazyfs: ");
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

/* FUSE paths start with "/"; the *at() calls want them relative to the backing fd. */
static const char *rel(const char *path) { return path[1] ? path + 1 : "."; }

static char *parent_of(const char *path) {
    char *parent = strdup(path);
    char *slash = strrchr(parent, '/');
    if (slash == parent) slash[1] = '\0';
    else *slash = '\0';
    return parent;
}

static int hidden(const char *path) {
    return strncmp(path, "/" TRASH, sizeof TRASH) == 0 && (path[sizeof TRASH] == '\0' || path[sizeof TRASH] == '/');
}

/* ---- The page cache ---- */

static struct file *find(const char *path) {
    for (struct file *f = files; f; f = f->next)
        if (f->path && strcmp(f->path, path) == 0) return f;
    return NULL;
}

static struct file *adopt(const char *path, int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0) return NULL;
    struct file *f = calloc(1, sizeof *f);
    f->path = strdup(path);
    f->fd = fd;
    f->size = f->durable = st.st_size;
    f->stale_from = NEVER;
    f->next = files;
    files = f;
    return f;
}

/* The file at `path`, from the cache or opened from the backing directory. */
static struct file *lookup(const char *path, int *error) {
    struct file *f = find(path);
    if (f) return f;
    int fd = openat(backing, rel(path), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == EACCES) fd = openat(backing, rel(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) { *error = -errno; return NULL; }
    return adopt(path, fd);
}

static int clean(struct file *f) {
    return f->dirty == 0 && f->stale_from == NEVER && f->size == f->durable;
}

static void drop_pages(struct file *f) {
    for (size_t i = 0; i < f->capacity; i++) free(f->pages[i]);
    free(f->pages);
    f->pages = NULL;
    f->capacity = f->dirty = 0;
}

/* Forgets a file nobody has open once nothing of it waits for an fsync (or it has no name left). */
static void release_if_idle(struct file *f) {
    if (f->opens > 0 || (f->path && !clean(f))) return;
    for (struct file **link = &files; *link; link = &(*link)->next)
        if (*link == f) { *link = f->next; break; }
    drop_pages(f);
    close(f->fd);
    free(f->path);
    free(f);
}

/* Page `index` as the program sees it: the cached page, else the durable bytes (zeros past them). */
static void read_page(struct file *f, size_t index, char *out) {
    if (index < f->capacity && f->pages[index]) { memcpy(out, f->pages[index], PAGE); return; }
    off_t start = (off_t)index * PAGE;
    ssize_t n = start < f->stale_from ? pread(f->fd, out, PAGE, start) : 0;
    if (n < 0) n = 0;
    if (n > 0 && start + n > f->stale_from) n = f->stale_from - start;
    memset(out + n, 0, PAGE - n);
}

static char *held_page(struct file *f, size_t index) {
    if (index >= f->capacity) {
        size_t capacity = f->capacity ? f->capacity : 16;
        while (capacity <= index) capacity *= 2;
        f->pages = realloc(f->pages, capacity * sizeof *f->pages);
        memset(f->pages + f->capacity, 0, (capacity - f->capacity) * sizeof *f->pages);
        f->capacity = capacity;
    }
    if (!f->pages[index]) {
        char *page = malloc(PAGE);
        read_page(f, index, page);
        f->pages[index] = page;
        f->dirty++;
    }
    return f->pages[index];
}

static void resize(struct file *f, off_t size) {
    if (size < f->size) {
        /* What is cut off must read as zeros if the file grows again. */
        if (size < f->stale_from) f->stale_from = size;
        for (size_t i = (size + PAGE - 1) / PAGE; i < f->capacity; i++) {
            if (f->pages[i]) { free(f->pages[i]); f->pages[i] = NULL; f->dirty--; }
        }
        size_t last = size / PAGE;
        if (size % PAGE && last < f->capacity && f->pages[last])
            memset(f->pages[last] + size % PAGE, 0, PAGE - size % PAGE);
    }
    f->size = size;
}

/* fsync: the file's pages and size reach the backing file. */
static int sync_file(struct file *f) {
    if (f->stale_from < f->durable && ftruncate(f->fd, f->stale_from) < 0) return -errno;
    size_t synced = f->dirty;
    for (size_t i = 0; i < f->capacity; i++) {
        if (!f->pages[i]) continue;
        off_t start = (off_t)i * PAGE;
        if (start < f->size) {
            size_t n = f->size - start < PAGE ? (size_t)(f->size - start) : PAGE;
            if (pwrite(f->fd, f->pages[i], n, start) != (ssize_t)n) return -EIO;
        }
        free(f->pages[i]);
        f->pages[i] = NULL;
        f->dirty--;
    }
    if (ftruncate(f->fd, f->size) < 0) return -errno;
    /* No fsync of the backing file: the disk below is not what is being tested. */
    f->durable = f->size;
    f->stale_from = NEVER;
    note("fsync %s: %zu pages, %lld bytes", f->path ? f->path : "(unlinked)", synced, (long long)f->size);
    return 0;
}

/* ---- Name changes ---- */

static void record(int kind, const char *dir, const char *path, const char *from, const char *trash) {
    struct change *c = calloc(1, sizeof *c);
    c->kind = kind;
    c->dir = strdup(dir);
    c->path = strdup(path);
    c->from = from ? strdup(from) : NULL;
    c->trash = trash ? strdup(trash) : NULL;
    c->next = changes;
    changes = c;
}

static void free_change(struct change *c) {
    free(c->dir); free(c->path); free(c->from); free(c->trash); free(c);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st; (void)type; (void)ftw;
    return remove(path);
}

/* Removes a backing path (relative, without the leading "/") and all below it. */
static void remove_tree(const char *relative) {
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s/%s", backing_root, relative);
    nftw(full, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Moves a name out of the way, so that a removal can be undone; returns the trash path. */
static int to_trash(const char *path, char *trash, size_t size) {
    snprintf(trash, size, "/%s/%lu", TRASH, ++trash_counter);
    return renameat(backing, rel(path), backing, rel(trash)) < 0 ? -errno : 0;
}

/* fsync of a directory: its name changes can no longer be undone. */
static void settle(const char *dir) {
    int settled = 0;
    for (struct change **link = &changes; *link;) {
        struct change *c = *link;
        if (strcmp(c->dir, dir) != 0) { link = &c->next; continue; }
        if (c->trash) remove_tree(rel(c->trash));
        *link = c->next;
        free_change(c);
        settled++;
    }
    note("fsyncdir %s: %d name changes made durable", dir, settled);
}

/* The power cut. */
static void power_cut(const char *why) {
    if (cut) return;
    cut = 1;
    size_t pages = 0, undone = 0;
    /* Which files lost what, e.g. "/room-12/penpals.sqlite-wal 3": a commit was in flight. */
    char lost[2048] = "";
    for (struct file *f = files; f; f = f->next) {
        if (!clean(f) && strlen(lost) < sizeof lost - 256)
            snprintf(lost + strlen(lost), sizeof lost - strlen(lost), "%s%s %zu pages%s", *lost ? ", " : "",
                     f->path ? f->path : "(unlinked)", f->dirty, f->size != f->durable ? " and its size" : "");
        pages += f->dirty;
        drop_pages(f);
    }
    /* Newest first, so each change is undone on the names as it left them. */
    while (changes) {
        struct change *c = changes;
        switch (c->kind) {
        case CREATED:
            remove_tree(rel(c->path));
            break;
        case REMOVED:
            renameat(backing, rel(c->trash), backing, rel(c->path));
            break;
        case RENAMED:
            renameat(backing, rel(c->path), backing, rel(c->from));
            if (c->trash) renameat(backing, rel(c->trash), backing, rel(c->path));
            break;
        }
        note("undo %s %s", c->kind == CREATED ? "create" : c->kind == REMOVED ? "remove" : "rename to", c->path);
        changes = c->next;
        free_change(c);
        undone++;
    }
    fprintf(stderr, "lazyfs: power cut (%s): dropped %zu unsynced pages (%s), undid %zu name changes\n",
            why, pages, *lost ? lost : "none", undone);
}

/* ---- FUSE operations ---- */

#define ALIVE() do { if (cut) return -EIO; } while (0)

/* The disk at work on a sync: other operations, and the cut, go on meanwhile. */
static int wait_for_disk(void) {
    if (fsync_delay_ms <= 0) return 0;
    pthread_mutex_unlock(&lock);
    struct timespec delay = { fsync_delay_ms / 1000, (fsync_delay_ms % 1000) * 1000000 };
    nanosleep(&delay, NULL);
    pthread_mutex_lock(&lock);
    return cut ? -EIO : 0;
}
/* What a handle holds: 0 for the control file, else a struct file or a struct directory. */
static struct file *file_of(struct fuse_file_info *fi) {
    if (!fi || !fi->fh || *(int *)(uintptr_t)fi->fh) return NULL;
    return (struct file *)(uintptr_t)fi->fh;
}

static const char *path_of(const char *path, struct fuse_file_info *fi) {
    if (path || !fi || !fi->fh || !*(int *)(uintptr_t)fi->fh) return path;
    return ((struct directory *)(uintptr_t)fi->fh)->path;
}

static void *lazy_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    /* Writes must reach us when write(2) returns, not when the kernel flushes its cache. */
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    /* Unlinked open files are kept by us (their fd), not renamed to .fuse_hidden files. */
    cfg->hard_remove = 1;
    cfg->nullpath_ok = 1;
    cfg->direct_io = 0;
    cfg->kernel_cache = 0;
    return NULL;
}

static void lazy_destroy(void *data) {
    (void)data;
    ENTER();
    power_cut("unmount");
}

static int lazy_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    struct file *f = file_of(fi);
    path = path_of(path, fi);
    if (path ? strcmp(path, CONTROL) == 0 : !f) {
        memset(st, 0, sizeof *st);
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        return 0;
    }
    if (path && hidden(path)) return -ENOENT;
    if (!f && path) f = find(path);
    if (f ? fstat(f->fd, st) : fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW)) return -errno;
    if (f) {
        st->st_size = f->size;
        st->st_blocks = (f->size + 511) / 512;
    }
    return 0;
}

static int lazy_access(const char *path, int mask) {
    ENTER();
    ALIVE();
    if (strcmp(path, CONTROL) == 0) return 0;
    if (hidden(path)) return -ENOENT;
    return faccessat(backing, rel(path), mask, 0) < 0 ? -errno : 0;
}

static int lazy_opendir(const char *path, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    if (hidden(path)) return -ENOENT;
    struct directory *d = malloc(sizeof *d);
    d->is_directory = 1;
    d->path = strdup(path);
    fi->fh = (uintptr_t)d;
    return 0;
}

static int lazy_releasedir(const char *path, struct fuse_file_info *fi) {
    (void)path;
    struct directory *d = (struct directory *)(uintptr_t)fi->fh;
    free(d->path);
    free(d);
    return 0;
}

static int lazy_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
                        struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
    (void)offset; (void)flags;
    ENTER();
    ALIVE();
    path = path_of(NULL, fi);
    int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    DIR *dir = fdopendir(fd);
    if (!dir) { close(fd); return -errno; }
    int root = strcmp(path, "/") == 0;
    for (struct dirent *entry; (entry = readdir(dir));) {
        if (root && strcmp(entry->d_name, TRASH) == 0) continue;
        if (fill(buf, entry->d_name, NULL, 0, 0)) break;
    }
    closedir(dir);
    return 0;
}

static int lazy_mkdir(const char *path, mode_t mode) {
    ENTER();
    ALIVE();
    if (mkdirat(backing, rel(path), mode) < 0) return -errno;
    char *parent = parent_of(path);
    record(CREATED, parent, path, NULL, NULL);
    note("mkdir %s", path);
    free(parent);
    return 0;
}

static int lazy_unlink(const char *path) {
    ENTER();
    ALIVE();
    if (hidden(path) || strcmp(path, CONTROL) == 0) return -EPERM;
    char trash[PATH_MAX];
    int error = to_trash(path, trash, sizeof trash);
    if (error) return error;
    char *parent = parent_of(path);
    record(REMOVED, parent, path, NULL, trash);
    free(parent);
    struct file *f = find(path);
    if (f) { free(f->path); f->path = NULL; release_if_idle(f); }
    note("unlink %s", path);
    return 0;
}

static int lazy_rmdir(const char *path) {
    ENTER();
    ALIVE();
    if (hidden(path) || strcmp(path, "/") == 0) return -EPERM;
    int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    DIR *dir = fdopendir(fd);
    if (!dir) { close(fd); return -errno; }
    int entries = 0;
    for (struct dirent *entry; (entry = readdir(dir));)
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) entries++;
    closedir(dir);
    if (entries) return -ENOTEMPTY;
    char trash[PATH_MAX];
    int error = to_trash(path, trash, sizeof trash);
    if (error) return error;
    char *parent = parent_of(path);
    record(REMOVED, parent, path, NULL, trash);
    free(parent);
    note("rmdir %s", path);
    return 0;
}

static int lazy_rename(const char *from, const char *to, unsigned int flags) {
    ENTER();
    ALIVE();
    if (hidden(from) || hidden(to) || !strcmp(from, CONTROL) || !strcmp(to, CONTROL)) return -EPERM;
    if (flags & RENAME_EXCHANGE) return -EINVAL;
    struct stat source, target;
    if (fstatat(backing, rel(from), &source, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
    if (S_ISDIR(source.st_mode)) return -EXDEV;
    if (strcmp(from, to) == 0) return 0;
    char trash[PATH_MAX] = "";
    if (fstatat(backing, rel(to), &target, AT_SYMLINK_NOFOLLOW) == 0) {
        if (flags & RENAME_NOREPLACE) return -EEXIST;
        if (S_ISDIR(target.st_mode)) return -EISDIR;
        int error = to_trash(to, trash, sizeof trash);
        if (error) return error;
    }
    if (renameat(backing, rel(from), backing, rel(to)) < 0) {
        int error = -errno;
        if (*trash) renameat(backing, rel(trash), backing, rel(to));
        return error;
    }
    char *parent = parent_of(to);
    record(RENAMED, parent, to, from, *trash ? trash : NULL);
    free(parent);
    struct file *replaced = find(to), *moved = find(from);
    if (replaced) { free(replaced->path); replaced->path = NULL; release_if_idle(replaced); }
    if (moved) { free(moved->path); moved->path = strdup(to); }
    note("rename %s -> %s%s", from, to, *trash ? " (replacing it)" : "");
    return 0;
}

/* link(2): how a program creates a file that exactly one of several creators may
 * put in place (it fails if the name exists). */
static int lazy_link(const char *from, const char *to) {
    ENTER();
    ALIVE();
    if (hidden(from) || hidden(to) || !strcmp(from, CONTROL) || !strcmp(to, CONTROL)) return -EPERM;
    struct file *source = find(from);
    if (source && !clean(source)) return -EPERM;
    if (linkat(backing, rel(from), backing, rel(to), 0) < 0) return -errno;
    char *parent = parent_of(to);
    record(CREATED, parent, to, NULL, NULL);
    free(parent);
    note("link %s -> %s", from, to);
    return 0;
}

static int lazy_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    path = path_of(path, fi);
    if (file_of(fi)) return fchmod(file_of(fi)->fd, mode) < 0 ? -errno : 0;
    if (!path) return 0;
    return fchmodat(backing, rel(path), mode, 0) < 0 ? -errno : 0;
}

static int lazy_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    path = path_of(path, fi);
    if (file_of(fi)) return fchown(file_of(fi)->fd, uid, gid) < 0 ? -errno : 0;
    if (!path) return 0;
    return fchownat(backing, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int lazy_utimens(const char *path, const struct timespec times[2], struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    path = path_of(path, fi);
    if (file_of(fi)) return futimens(file_of(fi)->fd, times) < 0 ? -errno : 0;
    if (!path) return 0;
    return utimensat(backing, rel(path), times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int lazy_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    int error = 0;
    struct file *f = file_of(fi);
    if (!f && (!path || strcmp(path, CONTROL) == 0)) return 0;
    if (!f) f = lookup(path, &error);
    if (!f) return error;
    resize(f, size);
    release_if_idle(f);
    return 0;
}

static int open_file(struct fuse_file_info *fi, struct file *f) {
    if (fi->flags & O_TRUNC) resize(f, 0);
    f->opens++;
    fi->fh = (uintptr_t)f;
    return 0;
}

static int open_existing(const char *path, struct fuse_file_info *fi) {
    if (strcmp(path, CONTROL) == 0) { fi->fh = 0; fi->direct_io = 1; return 0; }
    int error = 0;
    struct file *f = lookup(path, &error);
    return f ? open_file(fi, f) : error;
}

static int lazy_open(const char *path, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    return open_existing(path, fi);
}

static int lazy_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    ENTER();
    ALIVE();
    if (hidden(path)) return -EPERM;
    int fd = openat(backing, rel(path), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && !(fi->flags & O_EXCL)) return open_existing(path, fi);
    if (fd < 0) return -errno;
    char *parent = parent_of(path);
    record(CREATED, parent, path, NULL, NULL);
    free(parent);
    note("create %s", path);
    struct file *f = adopt(path, fd);
    return f ? open_file(fi, f) : -EIO;
}

static int lazy_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    (void)path;
    ENTER();
    ALIVE();
    struct file *f = file_of(fi);
    if (!f) return 0;
    if (offset >= f->size) return 0;
    if ((off_t)size > f->size - offset) size = f->size - offset;
    char page[PAGE];
    for (size_t done = 0; done < size;) {
        off_t at = offset + done;
        size_t within = at % PAGE, n = PAGE - within < size - done ? PAGE - within : size - done;
        read_page(f, at / PAGE, page);
        memcpy(buf + done, page + within, n);
        done += n;
    }
    return size;
}

static int lazy_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    (void)path;
    ENTER();
    ALIVE();
    struct file *f = file_of(fi);
    if (!f) { power_cut("requested"); return size; }
    for (size_t done = 0; done < size;) {
        off_t at = offset + done;
        size_t within = at % PAGE, n = PAGE - within < size - done ? PAGE - within : size - done;
        memcpy(held_page(f, at / PAGE) + within, buf + done, n);
        done += n;
    }
    if (offset + (off_t)size > f->size) f->size = offset + size;
    return size;
}

static int lazy_fallocate(const char *path, int mode, off_t offset, off_t length, struct fuse_file_info *fi) {
    (void)path;
    ENTER();
    ALIVE();
    if (mode != 0) return -EOPNOTSUPP;
    struct file *f = file_of(fi);
    if (f && offset + length > f->size) f->size = offset + length;
    return 0;
}

static int lazy_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path; (void)datasync;
    ENTER();
    ALIVE();
    struct file *f = file_of(fi);
    if (!f) return 0;
    int error = wait_for_disk();
    return error ? error : sync_file(f);
}

static int lazy_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path; (void)datasync;
    ENTER();
    ALIVE();
    int error = wait_for_disk();
    if (error) return error;
    settle(path_of(NULL, fi));
    return 0;
}

static int lazy_flush(const char *path, struct fuse_file_info *fi) {
    (void)path; (void)fi;
    ENTER();
    /* close(2) is no sync. */
    return cut ? -EIO : 0;
}

static int lazy_release(const char *path, struct fuse_file_info *fi) {
    (void)path;
    ENTER();
    struct file *f = file_of(fi);
    if (!f || cut) return 0;
    f->opens--;
    release_if_idle(f);
    return 0;
}

static int lazy_statfs(const char *path, struct statvfs *st) {
    (void)path;
    ENTER();
    ALIVE();
    return fstatvfs(backing, st) < 0 ? -errno : 0;
}

static const struct fuse_operations operations = {
    .init = lazy_init,
    .destroy = lazy_destroy,
    .getattr = lazy_getattr,
    .access = lazy_access,
    .opendir = lazy_opendir,
    .readdir = lazy_readdir,
    .releasedir = lazy_releasedir,
    .mkdir = lazy_mkdir,
    .unlink = lazy_unlink,
    .rmdir = lazy_rmdir,
    .rename = lazy_rename,
    .link = lazy_link,
    .chmod = lazy_chmod,
    .chown = lazy_chown,
    .utimens = lazy_utimens,
    .truncate = lazy_truncate,
    .open = lazy_open,
    .create = lazy_create,
    .read = lazy_read,
    .write = lazy_write,
    .fallocate = lazy_fallocate,
    .fsync = lazy_fsync,
    .fsyncdir = lazy_fsyncdir,
    .flush = lazy_flush,
    .release = lazy_release,
    .statfs = lazy_statfs,
};

/* A test that dies without unmounting must not leave a mount behind: when our
 * parent goes away, cut and exit; auto_unmount's helper then unmounts. (A signal
 * to ourselves is not enough: a process spawned with it blocked never sees it.) */
static void *watch_parent(void *parent) {
    while (getppid() == (pid_t)(intptr_t)parent) sleep(1);
    pthread_mutex_lock(&lock);
    power_cut("the test is gone");
    _exit(0);
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s BACKING MOUNTPOINT [fuse options]\n", argv[0]);
        return 2;
    }
    trace = getenv("LAZYFS_TRACE") && strcmp(getenv("LAZYFS_TRACE"), "0") != 0;
    fsync_delay_ms = getenv("LAZYFS_FSYNC_DELAY_MS") ? atol(getenv("LAZYFS_FSYNC_DELAY_MS")) : 0;
    backing_root = realpath(argv[1], NULL);
    if (!backing_root || (backing = open(backing_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "lazyfs: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    /* What is left in the trash was removed for good before the last cut. */
    remove_tree(TRASH);
    if (mkdirat(backing, TRASH, 0700) < 0) {
        fprintf(stderr, "lazyfs: %s/%s: %s\n", backing_root, TRASH, strerror(errno));
        return 2;
    }
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch_parent, (void *)(intptr_t)getppid());
    pthread_detach(watcher);

    char *args[64];
    int n = 0;
    args[n++] = argv[0];
    args[n++] = argv[2];
    args[n++] = "-f";
    args[n++] = "-o";
    args[n++] = "fsname=lazyfs,subtype=lazyfs,default_permissions,auto_unmount";
    for (int i = 3; i < argc && n < 63; i++) args[n++] = argv[i];
    args[n] = NULL;
    umask(0);
    return fuse_main(n, args, &operations, NULL);
}
