/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* One pair of open regular files whose contents a worker thread compares. */
typedef struct ContentJob {
        uint32_t entry;           /* the caller's index of the entry */
        int fd_a, fd_b;
        uint64_t size;
        bool sparse;
        int result;               /* 1 equal, 0 different, negative errno */
        struct ContentJob *next;
} ContentJob;

/* Worker threads that compare file contents while the caller walks on through the tree, so
 * that reading data overlaps with reading metadata and uses every CPU. */
typedef struct ContentPool {
        pthread_mutex_t lock;
        pthread_cond_t job_queued;
        pthread_cond_t job_taken;
        ContentJob *queue_head, *queue_tail;
        ContentJob *done;
        unsigned in_flight;       /* queued or being compared: each keeps two descriptors open */
        unsigned max_in_flight;
        bool closing;

        pthread_t *threads;
        unsigned n_threads;
        size_t buffer_size;

        uint64_t files_compared;
        uint64_t bytes_read;
} ContentPool;

/* Start n_threads workers, each with buffer_size bytes per file. */
int content_pool_start(ContentPool *p, unsigned n_threads, size_t buffer_size);

/* Queue a comparison; the pool takes over both descriptors and closes them. Blocks while the
 * queue is full. */
int content_pool_submit(ContentPool *p, uint32_t entry, int fd_a, int fd_b, uint64_t size, bool sparse);

/* Wait for every queued comparison and stop the workers. Returns the finished jobs (free them
 * with content_jobs_free()). */
ContentJob *content_pool_finish(ContentPool *p);

void content_jobs_free(ContentJob *list);

/* Worker threads to use: the online CPUs, at least 1 and at most 8. */
unsigned content_pool_default_threads(void);
