"""Package attributes imported from their sub-modules on first use.

The one lazy-import mechanism of dczoo: `dczoo` itself, `dczoo.data`,
`dczoo.inference` and `dczoo.export` use it so that importing a package does
not import Keras, a backend or onnx before a name that needs them is used.
"""

import importlib


def lazy_exports(package, exports, namespace, submodules=()):
    """Module-level `__getattr__` and `__dir__` for lazily imported names.

    Args:
        package: str. The package's `__name__`.
        exports: dict mapping an attribute name to the module that defines
            it: a sub-module relative to `package`, or a full module name
            starting with `dczoo.` (a name re-exported from another package).
        namespace: dict. The package's `globals()`, listed by `__dir__`.
        submodules: iterable of str. Sub-modules of `package` that are
            themselves the attribute (`dczoo.data` for `dczoo`).

    Returns:
        `(__getattr__, __dir__)` to assign in the package's `__init__`.

    Example:
    ```python
    _EXPORTS = {"export_onnx": "onnx_export"}
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
    ```
    """
    submodules = tuple(submodules)

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in exports:
            module = exports[name]
            if not module.startswith("dczoo."):
                module = f"{package}.{module}"
            return getattr(importlib.import_module(module), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(exports) | set(submodules))

    return __getattr__, __dir__
