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
import sys
from collections.abc import Sequence
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


class _DeferMethodsFinder(importlib.abc.MetaPathFinder):
    """Sets ``defer_build`` on ``TelegramMethod`` before any method subclass exists."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != _METHODS_BASE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_and_defer(module: ModuleType) -> None:
            exec_module(module)
            method_base = getattr(module, "TelegramMethod", None)
            if method_base is not None:  # else aiogram changed: methods simply stay eager
                method_base.model_config["defer_build"] = True

        setattr(loader, "exec_module", exec_and_defer)  # noqa: B010  (mypy: method assign)
        return spec


def install(*, defer_methods: bool = True) -> bool:
    """Import ``aiogram`` with lazily built models.  Idempotent.

    Returns False, changing nothing, if aiogram was already imported (stock behaviour).
    """
    global _installed
    if _installed:
        return True
    if "aiogram" in sys.modules:
        return False
    finder = _DeferMethodsFinder()
    if defer_methods:
        sys.meta_path.insert(0, finder)
    setattr(BaseModel, "model_rebuild", classmethod(_recording_rebuild))  # noqa: B010
    try:
        import aiogram  # noqa: F401  (imports aiogram.types and aiogram.methods)
    finally:
        setattr(BaseModel, "model_rebuild", _ORIGINAL_REBUILD)  # noqa: B010
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
    _installed = True
    if not _NAMESPACE:  # aiogram no longer has the loop: nothing to do
        return True

    from aiogram.methods.base import TelegramMethod
    from aiogram.types.base import TelegramObject

    setattr(TelegramObject, "model_rebuild", classmethod(_pinned_rebuild))  # noqa: B010
    setattr(TelegramMethod, "model_rebuild", classmethod(_pinned_rebuild))  # noqa: B010
    return True


def prebuild(*models: type[BaseModel]) -> None:
    """Build the given models now (e.g. ``Update``, ``Message`` at startup)."""
    for model in models:
        model.model_rebuild()
