/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The lower bound for the generator benchmark: the same directories, files and symlinks as a
 * reference output directory, with the same contents, made with the fewest system calls and
 * no parsing. The tree is read into memory first; only the writing is timed.
 *
 * Usage: generator-floor REFERENCE_DIR OUTPUT_DIR
 * Prints the writing time in nanoseconds on stdout. OUTPUT_DIR must exist and be empty.
 * With an empty REFERENCE_DIR the program only starts and ends, which the benchmark times
 * as the cost of any process. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct Node {
        char *path;               /* relative to the tree's root */
        mode_t type;              /* S_IFDIR, S_IFREG or S_IFLNK */
        char *data;               /* file contents or symlink target */
        size_t size;
} Node;

typedef struct Tree {
        Node *nodes;
        size_t n, allocated;
} Tree;

static void die(const char *what, const char *path) {
        fprintf(stderr, "generator-floor: %s %s: %s\n", what, path, strerror(errno));
        exit(EXIT_FAILURE);
}

static Node *tree_add(Tree *t) {
        if (t->n == t->allocated) {
                t->allocated = t->allocated ? t->allocated * 2 : 1024;
                t->nodes = realloc(t->nodes, t->allocated * sizeof(Node));
                if (!t->nodes)
                        die("Out of memory reading", "the tree");
        }

        return memset(&t->nodes[t->n++], 0, sizeof(Node));
}

static void read_contents(int dir_fd, const char *name, const char *path, Node *node) {
        struct stat st;
        int fd = openat(dir_fd, name, O_RDONLY|O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0)
                die("Failed to open", path);

        node->size = (size_t) st.st_size;
        node->data = malloc(node->size + 1);
        if (!node->data || read(fd, node->data, node->size) != (ssize_t) node->size)
                die("Failed to read", path);
        close(fd);
}

/* Add a directory's entries in readdir order, each directory before its contents. */
static void read_tree(Tree *t, int dir_fd, const char *prefix) {
        DIR *d = fdopendir(dir_fd);
        struct dirent *de;

        if (!d)
                die("Failed to read directory", prefix);

        while ((de = readdir(d))) {
                char *path;
                struct stat st;
                Node *node;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;

                if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
                        die("Out of memory reading", de->d_name);
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        die("Failed to stat", path);

                node = tree_add(t);
                node->path = path;
                node->type = st.st_mode & S_IFMT;

                if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                        if (sub < 0)
                                die("Failed to open", path);
                        read_tree(t, sub, path);
                } else if (S_ISLNK(st.st_mode)) {
                        node->data = calloc(1, (size_t) st.st_size + 1);
                        if (!node->data || readlinkat(dirfd(d), de->d_name, node->data, (size_t) st.st_size) < 0)
                                die("Failed to read symlink", path);
                } else if (S_ISREG(st.st_mode))
                        read_contents(dirfd(d), de->d_name, path, node);
                else {
                        errno = EINVAL;
                        die("Unexpected file type of", path);
                }
        }

        closedir(d);
}

static void write_tree(const Tree *t, int out_fd) {
        for (size_t i = 0; i < t->n; i++) {
                const Node *node = &t->nodes[i];
                int fd;

                switch (node->type) {
                case S_IFDIR:
                        if (mkdirat(out_fd, node->path, 0755) < 0)
                                die("Failed to create directory", node->path);
                        break;
                case S_IFLNK:
                        if (symlinkat(node->data, out_fd, node->path) < 0)
                                die("Failed to create symlink", node->path);
                        break;
                default:
                        fd = openat(out_fd, node->path, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW, 0644);
                        if (fd < 0 || write(fd, node->data, node->size) != (ssize_t) node->size)
                                die("Failed to write", node->path);
                        close(fd);
                }
        }
}

int main(int argc, char *argv[]) {
        struct timespec start, end;
        Tree tree = {};
        int reference_fd, out_fd;

        if (argc != 3) {
                fprintf(stderr, "Usage: generator-floor REFERENCE_DIR OUTPUT_DIR\n");
                return 2;
        }

        reference_fd = open(argv[1], O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (reference_fd < 0)
                die("Failed to open", argv[1]);
        read_tree(&tree, reference_fd, "");

        out_fd = open(argv[2], O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (out_fd < 0)
                die("Failed to open", argv[2]);

        clock_gettime(CLOCK_MONOTONIC, &start);
        write_tree(&tree, out_fd);
        clock_gettime(CLOCK_MONOTONIC, &end);

        printf("%lld\n", (long long) (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec));
        return 0;
}
