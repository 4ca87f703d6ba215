// LAPACK (through LAPACKE) and CBLAS, in double precision: the symmetric eigendecomposition and the
// matrix products of the Fréchet distance. Debian: liblapacke-dev and libopenblas-dev (or libblas-dev).
#include <lapacke.h>
#include <cblas.h>
