"""Process-level bounds for checking untrusted files (SECURITY.md).

derivcheck's own limits (:mod:`derivcheck.limits`) and time budgets
(:mod:`derivcheck.budget`) keep one hostile file from exhausting time; the
address-space limit here is the backstop for memory, where the platform has one.
Call it in a process that does nothing but check files: a grader's worker
process, or a CI job. It limits the *whole* process, not one file.
"""

from __future__ import annotations

#: A default that leaves SymPy plenty of room for honest derivations.
DEFAULT_MEMORY_BYTES = 2 * 1024**3


def limit_memory(max_bytes: int = DEFAULT_MEMORY_BYTES) -> bool:
    """Cap this process's address space (``RLIMIT_AS``) at ``max_bytes``.

    Past the cap an allocation fails with :class:`MemoryError`, which
    :func:`derivcheck.api.verify_derivation` reports as an error of that file
    instead of the kernel's OOM killer ending the process. Only the soft limit
    is lowered, never below what the hard limit allows. Returns whether a limit
    is now in force; on platforms without ``resource`` (Windows) or when the
    system refuses, nothing changes and the result is False.
    """
    if max_bytes <= 0:
        return False
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        if soft != resource.RLIM_INFINITY and soft <= want:
            return True  # already at least this strict
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - refused by the platform
        return False
    return True


def memory_limit() -> int | None:
    """The current soft address-space limit in bytes, or None when unlimited or unknown."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError, AttributeError):  # pragma: no cover
        return None
    return None if soft == resource.RLIM_INFINITY else int(soft)
