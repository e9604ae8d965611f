/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <unistd.h>

#include "content-pool.h"
#include "entry-compare.h"
#include "macro.h"

/* Two descriptors per job: 64 jobs stay far below the usual limit of 1024 open files. */
#define MAX_IN_FLIGHT 64u

static ContentJob *take_job(ContentPool *p) {
        ContentJob *job;

        while (!p->queue_head && !p->closing)
                pthread_cond_wait(&p->job_queued, &p->lock);

        job = p->queue_head;
        if (job) {
                p->queue_head = job->next;
                if (!p->queue_head)
                        p->queue_tail = NULL;
                job->next = NULL;
        }

        return job;
}

static void *worker(void *userdata) {
        ContentPool *p = userdata;
        CompareBuffers buffers = {};
        int r;

        r = compare_buffers_init(&buffers, p->buffer_size);

        pthread_mutex_lock(&p->lock);
        for (;;) {
                ContentJob *job = take_job(p);
                uint64_t read_bytes = 0;

                if (!job)
                        break;

                pthread_mutex_unlock(&p->lock);
                job->result = r < 0 ? r : compare_file_contents(job->fd_a, job->fd_b, job->size, job->sparse, &buffers, &read_bytes);
                (void) close(job->fd_a);
                (void) close(job->fd_b);
                pthread_mutex_lock(&p->lock);

                p->files_compared++;
                p->bytes_read += read_bytes;
                job->next = p->done;
                p->done = job;
                p->in_flight--;
                pthread_cond_signal(&p->job_taken);
        }
        pthread_mutex_unlock(&p->lock);

        compare_buffers_done(&buffers);
        return NULL;
}

int content_pool_start(ContentPool *p, unsigned n_threads, size_t buffer_size) {
        assert(p);
        assert(n_threads > 0);

        *p = (ContentPool) {
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .job_queued = PTHREAD_COND_INITIALIZER,
                .job_taken = PTHREAD_COND_INITIALIZER,
                .max_in_flight = MAX_IN_FLIGHT,
                .buffer_size = buffer_size,
        };

        p->threads = calloc(n_threads, sizeof(pthread_t));
        if (!p->threads)
                return -ENOMEM;

        for (unsigned i = 0; i < n_threads; i++) {
                int r = pthread_create(&p->threads[i], NULL, worker, p);
                if (r != 0) {
                        /* The threads that did start still drain the queue. */
                        if (p->n_threads == 0)
                                return -r;
                        break;
                }
                p->n_threads++;
        }

        return 0;
}

int content_pool_submit(ContentPool *p, uint32_t entry, int fd_a, int fd_b, uint64_t size, bool sparse) {
        ContentJob *job;

        job = malloc(sizeof(ContentJob));
        if (!job) {
                (void) close(fd_a);
                (void) close(fd_b);
                return -ENOMEM;
        }
        *job = (ContentJob) { .entry = entry, .fd_a = fd_a, .fd_b = fd_b, .size = size, .sparse = sparse };

        pthread_mutex_lock(&p->lock);
        while (p->in_flight >= p->max_in_flight)
                pthread_cond_wait(&p->job_taken, &p->lock);

        if (p->queue_tail)
                p->queue_tail->next = job;
        else
                p->queue_head = job;
        p->queue_tail = job;
        p->in_flight++;
        pthread_cond_signal(&p->job_queued);
        pthread_mutex_unlock(&p->lock);

        return 0;
}

ContentJob *content_pool_finish(ContentPool *p) {
        ContentJob *done;

        pthread_mutex_lock(&p->lock);
        p->closing = true;
        pthread_cond_broadcast(&p->job_queued);
        pthread_mutex_unlock(&p->lock);

        for (unsigned i = 0; i < p->n_threads; i++)
                (void) pthread_join(p->threads[i], NULL);

        free(p->threads);
        p->threads = NULL;
        p->n_threads = 0;

        done = p->done;
        p->done = NULL;
        return done;
}

void content_jobs_free(ContentJob *list) {
        while (list) {
                ContentJob *next = list->next;
                free(list);
                list = next;
        }
}

unsigned content_pool_default_threads(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        return (unsigned) MAX(1L, MIN(n, 8L));
}
