/*
 * Error numbers of the guest ABI. Hypercalls return them negated in rax
 * (-XEN_EINVAL == -22). The values are Linux's x86 errno values.
 */
#ifndef PUBLIC_ERRNO_H
#define PUBLIC_ERRNO_H

#define XEN_EPERM            1  /* operation not permitted for this caller */
#define XEN_ENOENT           2  /* no such entry (vCPU, page, node) */
#define XEN_ESRCH            3  /* no such domain */
#define XEN_EINTR            4  /* hypervisor-internal, never returned */
#define XEN_EIO              5  /* I/O error */
#define XEN_ENXIO            6  /* no such device or address */
#define XEN_E2BIG            7  /* argument list or buffer too big */
#define XEN_ENOEXEC          8  /* bad executable format */
#define XEN_EBADF            9  /* bad handle */
#define XEN_ECHILD          10  /* no child */
#define XEN_EAGAIN          11  /* try again */
#define XEN_EWOULDBLOCK     XEN_EAGAIN
#define XEN_ENOMEM          12  /* out of memory */
#define XEN_EACCES          13  /* permission denied by policy */
#define XEN_EFAULT          14  /* guest address not accessible */
#define XEN_EBUSY           16  /* resource busy */
#define XEN_EEXIST          17  /* already exists / already bound */
#define XEN_EXDEV           18  /* cross-domain link */
#define XEN_ENODEV          19  /* no such device */
#define XEN_ENOTDIR         20  /* not a directory */
#define XEN_EISDIR          21  /* is a directory */
#define XEN_EINVAL          22  /* invalid argument */
#define XEN_ENFILE          23  /* table overflow */
#define XEN_EMFILE          24  /* too many open handles */
#define XEN_ENOSPC          28  /* no space left (e.g. no free port) */
#define XEN_EROFS           30  /* read-only */
#define XEN_EMLINK          31  /* too many links */
#define XEN_EDOM            33  /* argument out of domain */
#define XEN_ERANGE          34  /* result out of range */
#define XEN_EDEADLK         35  /* deadlock would occur */
#define XEN_EDEADLOCK       XEN_EDEADLK
#define XEN_ENAMETOOLONG    36  /* name too long */
#define XEN_ENOLCK          37  /* no locks available */
#define XEN_ENOSYS          38  /* no such hypercall or sub-command */
#define XEN_ENOTEMPTY       39  /* not empty */
#define XEN_ENODATA         61  /* no data available */
#define XEN_ETIME           62  /* timeout already in the past */
#define XEN_EBADMSG         74  /* malformed message */
#define XEN_EOVERFLOW       75  /* value too large */
#define XEN_EILSEQ          84  /* illegal byte sequence */
#define XEN_ERESTART        85  /* hypervisor-internal (continuation), never returned */
#define XEN_ENOTSOCK        88  /* not a socket */
#define XEN_EMSGSIZE        90  /* message too long */
#define XEN_EOPNOTSUPP      95  /* operation not supported */
#define XEN_EADDRINUSE      98  /* address in use */
#define XEN_EADDRNOTAVAIL   99  /* address not available */
#define XEN_ENOBUFS        105  /* no buffer space */
#define XEN_EISCONN        106  /* already connected */
#define XEN_ENOTCONN       107  /* not connected */
#define XEN_ETIMEDOUT      110  /* timed out */
#define XEN_ECONNREFUSED   111  /* connection refused */

#endif /* PUBLIC_ERRNO_H */
