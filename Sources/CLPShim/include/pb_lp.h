// pb_lp.h: plain C functions over COIN-OR Clp for the Swift
// `LinearProgramming` module. No Clp types appear here.
// This header is not a stable API.
#ifndef PB_LP_H
#define PB_LP_H

/// A linear program's fixed part: the constraint matrix (column-major,
/// compressed) and the row bounds. Column bounds and the objective are
/// given with each solve.
typedef struct pb_lp pb_lp;

/// Copies the matrix (`column_starts` has `columns + 1` entries) and the
/// row bounds. Returns NULL when memory runs out or a size is negative.
pb_lp *pb_lp_create(int rows, int columns, const int *column_starts,
                    const int *row_indices, const double *values,
                    const double *row_lower, const double *row_upper);
void pb_lp_free(pb_lp *program);

/// Solves `min objective·x` subject to `row_lower <= A x <= row_upper` and
/// `column_lower <= x <= column_upper` with Clp's simplex method, in a fresh
/// Clp model: the result depends only on the arguments (deterministic).
///
/// With `basis_in` (one Clp status byte per column, then per row; e.g. the
/// `basis_out` of a solve with other bounds) the primal simplex starts from
/// that basis (a warm start); with NULL, Clp's initial solve starts from
/// scratch.
///
/// Writes `columns` primal values, `rows` dual values (Clp's row prices,
/// so that reduced costs are `objective - A^T dual`), the final basis
/// (`columns + rows` bytes; may be NULL), the objective value and the
/// simplex iterations. After a proven primal infeasibility, `dual` holds
/// Clp's infeasibility ray instead when Clp gives one, and `*ray` is set to 1.
///
/// Returns 0 optimal, 1 primal infeasible, 2 dual infeasible (unbounded),
/// 3 stopped on a limit, 4 stopped on numerical difficulties, -1 bad input.
int pb_lp_solve(const pb_lp *program, const double *objective,
                const double *column_lower, const double *column_upper,
                const unsigned char *basis_in, double *primal, double *dual,
                unsigned char *basis_out, double *objective_value,
                int *iterations, int *ray);

/// Clp's version, e.g. "1.17.7".
const char *pb_lp_version(void);

#endif
