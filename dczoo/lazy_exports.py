"""Package attributes imported from their sub-modules on first use."""

import importlib


def lazy_exports(package, exports, namespace):
    """Module-level `__getattr__` and `__dir__` for lazily imported names.

    Args:
        package: str. The package's `__name__`.
        exports: dict mapping an attribute name to the module that defines
            it: a sub-module relative to `package`, or a full module name
            starting with `dczoo.` (a name re-exported from another package).
        namespace: dict. The package's `globals()`, listed by `__dir__`.

    Returns:
        `(__getattr__, __dir__)` to assign in the package's `__init__`.

    Example:
    ```python
    _EXPORTS = {"export_onnx": "onnx_export"}
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
    ```
    """

    def __getattr__(name):
        if name in exports:
            module = exports[name]
            if not module.startswith("dczoo."):
                module = f"{package}.{module}"
            return getattr(importlib.import_module(module), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(list(namespace) + sorted(exports))

    return __getattr__, __dir__
