"""Build aiogram's pydantic validators lazily (only for models actually used).

Stock aiogram compiles a full pydantic-core validator/serializer for every one of
~400 ``TelegramObject`` models (``aiogram/types/__init__.py`` ends with a
``model_rebuild(_types_namespace=...)`` loop, despite ``defer_build=True``) and for
~170 ``TelegramMethod`` models (not deferred).  :func:`install` must run before
anything imports ``aiogram``; it

1. turns that loop into "remember the namespace" while ``aiogram`` is imported and
   injects the remembered names into every ``aiogram.types.*`` module's globals
   (``setdefault``; they are otherwise imported only under ``TYPE_CHECKING``), so
   forward refs also resolve when a type is embedded in another model
   (``TelegramMethod`` subclasses, ``Response[...]``, our own models);
2. sets ``defer_build=True`` on ``TelegramMethod`` right after
   ``aiogram.methods.base`` executes, so method models are deferred too;
3. overrides ``model_rebuild`` on ``TelegramObject``/``TelegramMethod`` so the deferred
   build pydantic triggers on first use gets the same namespace as stock aiogram,
   never the locals of whatever caller frame happened to trigger it.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from pydantic import BaseModel

__all__ = ["install", "prebuild"]

_TYPES = "aiogram.types."
_METHODS = "aiogram.methods."
_METHODS_BASE = "aiogram.methods.base"
_NAMESPACE: dict[str, Any] = {}
_installed = False
_ORIGINAL_REBUILD: Any = BaseModel.__dict__["model_rebuild"]  # classmethod object


def _rebuild(
    cls: type[BaseModel],
    force: bool,
    raise_errors: bool,
    depth: int,
    namespace: dict[str, Any] | None,
) -> bool | None:
    result: bool | None = _ORIGINAL_REBUILD.__func__(
        cls,
        force=force,
        raise_errors=raise_errors,
        # two extra frames (our wrapper + this helper) between the caller and pydantic
        _parent_namespace_depth=depth + 2 if depth > 0 else 0,
        _types_namespace=namespace,
    )
    return result


def _recording_rebuild(
    cls: type[BaseModel],
    *,
    force: bool = False,
    raise_errors: bool = True,
    _parent_namespace_depth: int = 2,
    _types_namespace: dict[str, Any] | None = None,
) -> bool | None:
    """Temporary ``BaseModel.model_rebuild`` while ``aiogram`` is being imported."""
    if (
        _types_namespace is not None
        and not force
        and cls.__module__.startswith(_TYPES)
        and cls.model_config.get("defer_build")
        and not cls.__pydantic_complete__
    ):
        if not _NAMESPACE:  # first call of the loop: all aiogram.types.* modules are loaded
            _NAMESPACE.update(_types_namespace)
            for name, module in list(sys.modules.items()):
                if name.startswith(_TYPES) and module is not None:
                    module_globals = vars(module)
                    for key, value in _NAMESPACE.items():
                        module_globals.setdefault(key, value)
        return None  # stays deferred; pydantic's mocks build it on first use
    return _rebuild(cls, force, raise_errors, _parent_namespace_depth, _types_namespace)


def _pinned_rebuild(
    cls: type[BaseModel],
    *,
    force: bool = False,
    raise_errors: bool = True,
    _parent_namespace_depth: int = 2,
    _types_namespace: dict[str, Any] | None = None,
) -> bool | None:
    """Permanent ``model_rebuild`` of ``TelegramObject`` and ``TelegramMethod``."""
    if _types_namespace is None:
        if cls.__module__.startswith(_TYPES):
            _types_namespace = _NAMESPACE  # what aiogram's own loop passes
        elif cls.__module__.startswith(_METHODS):
            _types_namespace = {}  # module globals only, as at stock class creation
    return _rebuild(cls, force, raise_errors, _parent_namespace_depth, _types_namespace)


class _ExecHook(importlib.abc.MetaPathFinder):
    """Runs code around the execution of one module, the first time it is imported."""

    def __init__(
        self,
        fullname: str,
        before: Callable[[], None],
        after: Callable[[ModuleType], None],
    ) -> None:
        self._fullname = fullname
        self._before = before
        self._after = after

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != self._fullname:
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module
        before, after = self._before, self._after

        def exec_with_hooks(module: ModuleType) -> None:
            before()
            try:
                exec_module(module)
            finally:
                after(module)

        setattr(loader, "exec_module", exec_with_hooks)  # noqa: B010  (mypy: method assign)
        return spec


def _defer_methods(module: ModuleType) -> None:
    """Sets ``defer_build`` on ``TelegramMethod`` before any method subclass exists."""
    method_base = getattr(module, "TelegramMethod", None)
    if method_base is not None:  # else aiogram changed: methods simply stay eager
        method_base.model_config["defer_build"] = True


def _record_namespace() -> None:
    setattr(BaseModel, "model_rebuild", classmethod(_recording_rebuild))  # noqa: B010


def _pin_namespace(module: ModuleType) -> None:
    setattr(BaseModel, "model_rebuild", _ORIGINAL_REBUILD)  # noqa: B010
    if not _NAMESPACE:  # aiogram no longer has the loop (or failed): nothing to pin
        return
    from aiogram.methods.base import TelegramMethod
    from aiogram.types.base import TelegramObject

    setattr(TelegramObject, "model_rebuild", classmethod(_pinned_rebuild))  # noqa: B010
    setattr(TelegramMethod, "model_rebuild", classmethod(_pinned_rebuild))  # noqa: B010


def install(*, defer_methods: bool = True) -> bool:
    """Make ``aiogram``, whenever it is imported, build its models lazily.  Idempotent.

    Costs nothing until then (a process that never imports aiogram never loads it).
    Returns False, changing nothing, if aiogram was already imported (stock behaviour).
    """
    global _installed
    if _installed:
        return True
    if "aiogram" in sys.modules:
        return False
    # `import aiogram` executes aiogram/__init__.py, which imports all types and methods.
    sys.meta_path.insert(0, _ExecHook("aiogram", _record_namespace, _pin_namespace))
    if defer_methods:
        sys.meta_path.insert(0, _ExecHook(_METHODS_BASE, lambda: None, _defer_methods))
    _installed = True
    return True


def prebuild(*models: type[BaseModel]) -> None:
    """Build the given models now (e.g. ``Update``, ``Message`` at startup)."""
    for model in models:
        model.model_rebuild()
