/* bench_floor.c: the output floor of tools/bench.py (SPEC section 7, issue 14).
 *
 * Writes, from memory, the files listed in LIST into OUTDIR on two threads: each file is created
 * (O_EXCL), written in 64 KiB writes from one cache-hot buffer up to its size, and closed. No
 * reading, decoding or naming: what is left is what any program writing the same files must pay.
 *
 *     cc -O2 -pthread -o bench_floor tools/bench_floor.c
 *     bench_floor LIST OUTDIR [THREADS]
 *
 * LIST: one file a line, "SIZE NAME", NAME relative to OUTDIR (sub-folders are made as needed).
 * Exit status 0, or 1 with a message on the first failure. Built and run by tools/bench.py.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

struct entry {
    unsigned long long size;
    char* name;
};

static struct entry* entries;
static size_t n_entries;
static atomic_size_t next_entry;
static int dir_fd;
static unsigned char chunk[CHUNK];

static void die(const char* what, const char* name) {
    fprintf(stderr, "bench_floor: %s %s: %s\n", what, name, strerror(errno));
    exit(1);
}

/* Makes the folders leading to `name` (relative to dir_fd). */
static void make_parents(const char* name) {
    char path[4096];
    snprintf(path, sizeof path, "%s", name);
    for (char* p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
        *p = 0;
        if (mkdirat(dir_fd, path, 0777) != 0 && errno != EEXIST) die("cannot make", path);
        *p = '/';
    }
}

static void write_file(const struct entry* e) {
    int fd = openat(dir_fd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT && strchr(e->name, '/')) {
        make_parents(e->name);
        fd = openat(dir_fd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    if (fd < 0) die("cannot create", e->name);
    for (unsigned long long left = e->size; left > 0;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t w = write(fd, chunk, n);
        if (w <= 0) die("cannot write", e->name);
        left -= (unsigned long long)w;
    }
    if (close(fd) != 0) die("cannot close", e->name);
}

static void* worker(void* arg) {
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_entry, 1);
        if (i >= n_entries) return NULL;
        write_file(&entries[i]);
    }
}

static void read_list(const char* path) {
    FILE* f = fopen(path, "r");
    if (!f) die("cannot open", path);
    size_t cap = 1024;
    entries = malloc(cap * sizeof *entries);
    char line[4200];
    while (fgets(line, sizeof line, f)) {
        char* sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = 0;
        char* name = sp + 1;
        name[strcspn(name, "\n")] = 0;
        if (n_entries == cap) entries = realloc(entries, (cap *= 2) * sizeof *entries);
        if (!entries) die("out of memory reading", path);
        entries[n_entries].size = strtoull(line, NULL, 10);
        entries[n_entries].name = strdup(name);
        ++n_entries;
    }
    fclose(f);
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_floor LIST OUTDIR [THREADS]\n");
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    for (size_t i = 0; i < CHUNK; ++i) chunk[i] = (unsigned char)(i * 131u + 7u);
    read_list(argv[1]);   /* timed too: about 10 ms for 200,000 names */
    if (mkdir(argv[2], 0777) != 0 && errno != EEXIST) die("cannot make", argv[2]);
    dir_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) die("cannot open", argv[2]);
    pthread_t tid[64];
    for (int t = 1; t < threads; ++t)
        if (pthread_create(&tid[t], NULL, worker, NULL) != 0) die("cannot start a thread for", argv[2]);
    worker(NULL);
    for (int t = 1; t < threads; ++t) pthread_join(tid[t], NULL);
    return 0;
}
