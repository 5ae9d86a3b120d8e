// pb_mpi.h: plain C functions over Open MPI for the Swift `Cluster` module.
// No MPI types appear here. Every function returns 0 on success or an MPI
// error code; `pb_mpi_error_string` turns a code into text.
// This header is not a stable API.
#ifndef PB_MPI_H
#define PB_MPI_H

#include <stddef.h>

/// Initializes MPI (thread level "funneled"), sets errors to return instead
/// of aborting, and reports this process's rank and the world size.
int pb_mpi_init(int *rank, int *size);
/// 1 when MPI_Init has run and MPI_Finalize has not.
int pb_mpi_is_initialized(void);
int pb_mpi_finalize(void);
/// Ends every process of the job with `code`. Does not return on success.
int pb_mpi_abort(int code);

/// Broadcasts `count` bytes from `root`.
int pb_mpi_bcast_bytes(void *buffer, long count, int root);
/// Broadcasts `count` doubles from `root`.
int pb_mpi_bcast_doubles(double *buffer, long count, int root);
/// Element-wise maximum of `count` ints over all ranks, result on every rank.
int pb_mpi_allreduce_max_ints(const int *send, int *receive, long count);
/// Gathers variable-length byte blocks on `root`. `counts` (size entries)
/// must already hold every rank's count on root; `receive` must hold their
/// sum there. Blocks are placed in rank order.
int pb_mpi_gatherv_bytes(const void *send, long count, void *receive,
                         const long *counts, int root);

/// Writes the text of an MPI error code into `buffer` (NUL-terminated).
void pb_mpi_error_string(int code, char *buffer, int length);

/// Sends `count` doubles to rank `destination` with `tag` (blocking until
/// the buffer may be reused; small messages go out at once).
int pb_mpi_send_doubles(const double *buffer, long count, int destination, int tag);
/// Looks for a message from `source` (any rank when negative), waiting for
/// one when `blocking`. On return `found` says whether there is one, and
/// then `from`, `tag` and `count` (in doubles) describe it.
int pb_mpi_probe(int source, int blocking, int *found, int *from, int *tag, long *count);
/// Receives the `count` doubles of a probed message.
int pb_mpi_recv_doubles(double *buffer, long count, int source, int tag);

#endif
