// MPI (Open MPI 4.1): the handles Open MPI defines as macros over global objects, which
// Swift cannot import, as inline functions. Debian: libopenmpi-dev (pkg-config ompi-c).
#include <mpi.h>

static inline MPI_Comm sgan_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm sgan_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype sgan_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype sgan_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype sgan_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Op sgan_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op sgan_mpi_max(void) { return MPI_MAX; }
static inline MPI_Errhandler sgan_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline void* sgan_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int sgan_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info sgan_mpi_info_null(void) { return MPI_INFO_NULL; }
