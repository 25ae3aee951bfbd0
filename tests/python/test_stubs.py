"""The type stubs (python/lowvolt/*.pyi) against the modules they describe: every public name of
lowvolt, lowvolt._core and lowvolt.torch has a stub and every stub a runtime object, and their
signatures agree; a planted mistake is reported by name; mypy's stubtest and `mypy --strict` on
the README's snippet pass where python3-mypy is installed.

The stubs are read from the repository (python/lowvolt/), the modules imported from PYTHONPATH
(the build's copy, which need not hold the .pyi files yet).

What is compared, per module:
- names: runtime public names (no leading '_'; not a module; in __all__ or with a __module__ in
  the lowvolt package) == stub names (private aliases such as `_Path` are the stub's own); __all__
  of stub and module equal; a stub's `from ._core import X as X` names the very runtime object.
- classes: bases (pybind11_object and builtins' `object` dropped); members, each public name
  and the dunders in CHECKED_DUNDERS (`__hash__ = None` stubbed as `ClassVar[None]`); method
  kind (instance, @staticmethod, @classmethod); a property is read-only (`@property` with no
  setter) or writable (a plain annotated attribute, or a property with a setter) as at run time;
  instance attributes of pure-Python classes, from one instance built in SAMPLE_INSTANCES.
- pybind11 functions, methods and property getters/setters: the signature lines pybind11 writes
  at the head of __doc__ ("Overloaded function." lists them numbered): parameter names, order,
  kinds (`argN` is pybind11's unnamed, positional-only parameter; `*` and `/` as written),
  which have defaults, and default values that are Python literals (value and type: 0 is not
  0.0); a default pybind11 prints as non-literal text is not compared. Types: the runtime's
  annotation, normalised by runtime_type(), against the stub's, normalised by stub_type() (stub
  aliases expanded, typing spellings and numpy/npt prefixes resolved); equal unless
    * the runtime says `object` (pybind11's py::object: any Python object; the stub narrows it),
      or a runtime type is absent: not compared;
    * the runtime type has no type arguments (`list`, `dict`, `numpy.ndarray`, `Iterator`,
      `numpy.dtype`): the stub's may add them (`list[str]`, `NDArray[numpy.uint8]`);
    * the stub overloads a function pybind11 gives one signature (py::vectorize): each runtime
      type must be a member of the union at that place in some overload, and the runtime return
      type some overload's return;
    * the first parameter of a method (`self`) and the operand of `__eq__` (Python's data model
      makes it `object`) are not compared.
  The runtime spellings and their stub forms (runtime_type()): `numpy.ndarray[numpy.X]` ->
  `npt.NDArray[np.X]`, `numpy.ndarray` -> `npt.NDArray[...]`, `List/Dict/Tuple/Set` -> builtins,
  `Optional[X]` -> `X | None`, `sequence/iterable/iterator` -> `Sequence/Iterable/Iterator`,
  `dtype` -> `np.dtype`, `lowvolt._core.X` and C++ names `a::b::X` -> `X`.
- pure-Python functions and methods (lowvolt.torch): inspect.signature against the stub: names,
  order, kinds, defaults (literals by value and type). torch.py carries no annotations, so its
  types are not compared (mypy checks the stubs themselves and the snippet against them).
Not compared: return types of pure-Python code, docstrings, and anything stubtest alone checks.
"""
import ast
import inspect
import os
import re
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lowvolt
import lowvolt._core
import lowvolt.torch
from conftest import readme_python_snippet

STUB_DIR = Path(__file__).resolve().parents[2] / "python" / "lowvolt"
MODULES = {"lowvolt": "__init__.pyi", "lowvolt._core": "_core.pyi", "lowvolt.torch": "torch.pyi"}
# Dunders whose presence and signature the stubs must state; __repr__ and the like are object's.
CHECKED_DUNDERS = {"__init__", "__call__", "__iter__", "__len__", "__getitem__", "__setitem__",
                   "__contains__", "__enter__", "__exit__", "__eq__", "__ne__", "__lt__", "__le__",
                   "__gt__", "__ge__", "__hash__", "__bool__", "__int__", "__float__",
                   "__getstate__", "__setstate__", "__array__"}
NO_DEFAULT = object()


def _sample_instances():
    """One instance of each pure-Python class, for its instance attributes."""
    import torch
    quant = lowvolt.QuantScheme()
    return {"lowvolt.torch.WeightMemory": lambda: lowvolt.torch.WeightMemory(
                [torch.zeros(2, 3)], quant),
            "lowvolt.torch.RandBET": lambda: lowvolt.torch.RandBET(torch.nn.Linear(2, 2), quant)}


SAMPLE_INSTANCES = _sample_instances()


# --- Signatures --------------------------------------------------------------------------------

@dataclass
class Param:
    name: str
    kind: inspect._ParameterKind
    annotation: str | None = None  # normalised type text; None: absent or not compared
    default: object = NO_DEFAULT   # NO_DEFAULT, ("literal", value), ("text", source)


@dataclass
class Sig:
    params: list
    returns: str | None = None


def _literal(text):
    try:
        return ("literal", ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ("text", text)


def _split_top(text, sep):
    """`text` split at `sep` outside brackets and quotes."""
    parts, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{<":
            depth += 1
        elif c in ")]}>" and not (c == ">" and text[i - 1] == "-"):
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i += len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return parts


# Runtime (pybind11) type spellings: name -> canonical name.
_RUNTIME_NAMES = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set",
                  "FrozenSet": "frozenset", "sequence": "Sequence", "iterable": "Iterable",
                  "iterator": "Iterator", "Sequence": "Sequence", "Iterable": "Iterable",
                  "Iterator": "Iterator", "Callable": "Callable", "Any": "Any",
                  "dtype": "numpy.dtype", "numpy.ndarray": "NDArray", "numpy.dtype": "numpy.dtype"}


def _canon(node, names):
    """Canonical text of a type expression: dotted names mapped through `names`, Optional and
    Union as `|` in sorted order."""
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return "..."
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return names(ast.unparse(node))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return " | ".join(sorted(_union_members(node, names)))
    if isinstance(node, ast.Subscript):
        head = _canon(node.value, names)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = [_canon(a, names) for a in items]
        if head == "Optional":
            return " | ".join(sorted({args[0], "None"}))
        if head == "Union":
            return " | ".join(sorted(set(args)))
        return f"{head}[{', '.join(args)}]"
    if isinstance(node, ast.List):
        return "[" + ", ".join(_canon(e, names) for e in node.elts) + "]"
    return ast.unparse(node)


def _union_members(node, names):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left, names) | _union_members(node.right, names)
    text = _canon(node, names)
    return {m.strip() for m in _split_top(text, " | ")}


def runtime_type(text):
    """A pybind11 type spelling in canonical form; None for `object` or text that is not a type
    expression (not compared)."""
    text = text.strip()
    text = re.sub(r"\b(?:\w+::)+(\w+)", r"\1", text)    # C++ names pybind11 could not map
    text = text.replace("lowvolt._core.", "")
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    canon = _canon(node, lambda n: _RUNTIME_NAMES.get(n, n))
    return None if canon == "object" else canon


def parse_pybind_signature(line):
    """(name, Sig) of one pybind11 signature line `name(a: int, b: float = 0.5) -> T`; the name
    is empty for a property's accessor ("(self: X) -> T")."""
    m = re.match(r"\s*(?:\d+\.\s*)?(\w*)\(", line)
    assert m, f"not a pybind11 signature: {line!r}"
    body_start = m.end()
    depth, quote, i = 1, None, body_start
    while depth:
        c = line[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    body, rest = line[body_start:i - 1], line[i:].strip()
    returns = runtime_type(rest[2:]) if rest.startswith("->") else None
    params, kind = [], inspect.Parameter.POSITIONAL_OR_KEYWORD
    for item in (p.strip() for p in _split_top(body, ",") if p.strip()):
        if item == "/":
            for p in params:
                p.kind = inspect.Parameter.POSITIONAL_ONLY
            continue
        if item == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        parts = _split_top(item, " = ")
        head = parts[0].strip()
        head_default = " = ".join(parts[1:]).strip() if len(parts) > 1 else None
        name_and_type = _split_top(head, ": ")
        name, annotation = name_and_type[0].strip(), ": ".join(name_and_type[1:]).strip()
        if name.startswith("**"):
            params.append(Param(name[2:], inspect.Parameter.VAR_KEYWORD, runtime_type(annotation)
                                if annotation else None))
            continue
        if name.startswith("*"):
            params.append(Param(name[1:], inspect.Parameter.VAR_POSITIONAL,
                                runtime_type(annotation) if annotation else None))
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        p_kind = inspect.Parameter.POSITIONAL_ONLY if re.fullmatch(r"arg\d+", name) else kind
        params.append(Param(name, p_kind, runtime_type(annotation) if annotation else None,
                            NO_DEFAULT if head_default is None else _literal(head_default)))
    return m.group(1), Sig(params, returns)


def pybind_signatures(obj):
    """The signatures pybind11 wrote into obj.__doc__ (one, or each of an overload set)."""
    doc = obj.__doc__ or ""
    lines = doc.splitlines()
    if len(lines) > 1 and lines[1].strip() == "Overloaded function.":
        return [parse_pybind_signature(line)[1] for line in lines
                if re.match(r"\d+\. \w*\(", line)]
    return [parse_pybind_signature(lines[0])[1]]


def is_pybind(obj):
    """A pybind11 function or method (its signature lives in __doc__)."""
    return type(obj).__name__ in ("builtin_function_or_method", "instancemethod") and \
        not hasattr(obj, "__code__") and bool(re.match(r"\s*\w*\(", obj.__doc__ or ""))


def python_signature(obj):
    """Sig of a pure-Python function from inspect.signature (no types: torch.py has none)."""
    sig = inspect.signature(obj)
    params = []
    for p in sig.parameters.values():
        default = NO_DEFAULT
        if p.default is not inspect.Parameter.empty:
            default = _literal(repr(p.default))
            if default[0] == "literal" and default[1] != p.default:
                default = ("text", repr(p.default))
        params.append(Param(p.name, p.kind, None, default))
    return Sig(params, None)


# --- Stubs -------------------------------------------------------------------------------------

@dataclass
class StubFunction:
    name: str
    kind: str                 # "function", "method", "staticmethod", "classmethod"
    overloads: list = field(default_factory=list)   # [Sig]


@dataclass
class StubAttribute:
    name: str
    annotation: str | None
    writable: bool
    classvar: bool = False


@dataclass
class StubClass:
    name: str
    bases: list
    members: dict


@dataclass
class StubReexport:
    name: str
    module: str
    source: str


@dataclass
class StubModule:
    name: str
    entries: dict
    all: list | None


class _StubTypes:
    """Type normalisation of one stub file: import aliases resolved, private aliases expanded."""

    _NAMES = {"typing.List": "list", "typing.Dict": "dict", "typing.Tuple": "tuple",
              "typing.Set": "set", "typing.Optional": "Optional", "typing.Union": "Union",
              "numpy.typing.NDArray": "NDArray", "numpy.ndarray": "NDArray"}

    def __init__(self, tree, module):
        self.imports = {}
        self.aliases = {}
        package = module.rsplit(".", 1)[0] if module != "lowvolt" else "lowvolt"
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom):
                base = (package + "." + (node.module or "")).rstrip(".") if node.level \
                    else node.module
                for a in node.names:
                    self.imports[a.asname or a.name] = f"{base}.{a.name}"
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and target.id.startswith("_") and node.value \
                        and not (isinstance(node.value, ast.Call)):
                    self.aliases[target.id] = node.value

    def _name(self, dotted):
        head, _, tail = dotted.partition(".")
        full = self.imports.get(head, head) + ("." + tail if tail else "")
        for prefix in ("typing.", "collections.abc.", "typing_extensions.", "lowvolt._core.",
                       "lowvolt."):
            if full.startswith(prefix) and full not in self._NAMES:
                return full[len(prefix):]
        return self._NAMES.get(full, full)

    def _expand(self, node):
        class Expand(ast.NodeTransformer):
            def visit_Name(inner, n):
                if n.id in self.aliases:
                    return inner.visit(self.aliases[n.id])
                return n
        return Expand().visit(ast.parse(ast.unparse(node), mode="eval").body)

    def canon(self, node):
        return None if node is None else _canon(self._expand(node), self._name)


def _stub_signature(fn, types_):
    a = fn.args
    params = []
    positional = [(p, inspect.Parameter.POSITIONAL_ONLY) for p in a.posonlyargs] + \
        [(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for (p, kind), d in zip(positional, defaults):
        if kind == inspect.Parameter.POSITIONAL_OR_KEYWORD and p.arg.startswith("__") \
                and not p.arg.endswith("__"):
            kind = inspect.Parameter.POSITIONAL_ONLY   # the old stub spelling of positional-only
        params.append(Param(p.arg, kind, types_.canon(p.annotation), _stub_default(d)))
    if a.vararg:
        params.append(Param(a.vararg.arg, inspect.Parameter.VAR_POSITIONAL,
                            types_.canon(a.vararg.annotation)))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        params.append(Param(p.arg, inspect.Parameter.KEYWORD_ONLY, types_.canon(p.annotation),
                            _stub_default(d)))
    if a.kwarg:
        params.append(Param(a.kwarg.arg, inspect.Parameter.VAR_KEYWORD,
                            types_.canon(a.kwarg.annotation)))
    return Sig(params, types_.canon(fn.returns))


def _stub_default(node):
    if node is None:
        return NO_DEFAULT
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return ("text", "...")
    return _literal(ast.unparse(node))


def _decorators(fn):
    return {ast.unparse(d) for d in fn.decorator_list}


def _functions_and_attributes(body, types_, in_class):
    """Entries of a module or class body: functions (overloads grouped), attributes, classes."""
    entries = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decorators = _decorators(node)
            if "property" in decorators:
                entries[node.name] = StubAttribute(node.name, types_.canon(node.returns), False)
                continue
            setter = next((d for d in decorators if d.endswith(".setter")), None)
            if setter:
                entries[node.name].writable = True
                continue
            kind = "function" if not in_class else \
                "staticmethod" if "staticmethod" in decorators else \
                "classmethod" if "classmethod" in decorators else "method"
            fn = entries.setdefault(node.name, StubFunction(node.name, kind))
            fn.overloads.append(_stub_signature(node, types_))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            annotation = node.annotation
            classvar = isinstance(annotation, ast.Subscript) and \
                ast.unparse(annotation.value).endswith("ClassVar")
            if classvar:
                annotation = annotation.slice
            if not (isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias"):
                entries[node.target.id] = StubAttribute(node.target.id, types_.canon(annotation),
                                                        not classvar, classvar)
        elif isinstance(node, ast.ClassDef):
            if "type_check_only" in _decorators(node):
                continue
            entries[node.name] = StubClass(
                node.name, [types_.canon(b) for b in node.bases if types_.canon(b) != "object"],
                _functions_and_attributes(node.body, types_, True))
    return entries


def parse_stub(text, module):
    """StubModule of a .pyi text for `module` (absolute name)."""
    tree = ast.parse(text)
    types_ = _StubTypes(tree, module)
    entries = _functions_and_attributes(tree.body, types_, False)
    all_names = None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.asname and a.asname == a.name:   # `from m import X as X`: a re-export
                    source = types_.imports[a.asname].rsplit(".", 1)[0]
                    entries[a.name] = StubReexport(a.name, source, a.name)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            all_names = ast.literal_eval(node.value)
    entries = {k: v for k, v in entries.items() if not (k.startswith("_") and not
               (k.startswith("__") and k.endswith("__"))) and k != "__all__"}
    return StubModule(module, entries, all_names)


def load_stubs(texts=None):
    """{module: StubModule} from the repository's stub files (or from `texts`, {module: text})."""
    texts = texts or {m: (STUB_DIR / f).read_text() for m, f in MODULES.items()}
    return {m: parse_stub(t, m) for m, t in texts.items()}


# --- The comparison ----------------------------------------------------------------------------

def runtime_public_names(module):
    """Public names of a runtime module: no leading '_', not a module, and listed in __all__ or
    defined in lowvolt."""
    listed = set(getattr(module, "__all__", []))
    names = set()
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if name in listed or str(getattr(obj, "__module__", "")).startswith("lowvolt"):
            names.add(name)
    return names | listed


def _type_matches(runtime, stub_text):
    """A canonical runtime type against a canonical stub type (see the module docstring)."""
    if runtime is None or stub_text == runtime:
        return True
    if "[" not in runtime and stub_text is not None:
        return stub_text.startswith(runtime + "[")
    return False


def _compare_sig(where, runtime, stub_sigs, skip_first, problems, eq_operand=False):
    """Names, kinds, defaults and types of one runtime Sig against a stub's overloads."""
    for k, stub in enumerate(stub_sigs):
        label = where if len(stub_sigs) == 1 else f"{where} (overload {k + 1})"
        r_names = [p.name for p in runtime.params]
        s_names = [p.name for p in stub.params]
        if len(r_names) != len(s_names):
            problems.append(f"{label}: parameters ({', '.join(r_names)}) at run time, "
                            f"({', '.join(s_names)}) in the stub")
            continue
        for i, (r, s) in enumerate(zip(runtime.params, stub.params)):
            positional_only = r.kind == inspect.Parameter.POSITIONAL_ONLY
            if r.name != s.name and not (positional_only and s.kind == r.kind):
                problems.append(f"{label}: parameter {i + 1} is '{r.name}' at run time, "
                                f"'{s.name}' in the stub")
            if r.kind != s.kind and not (i == 0 and skip_first):
                problems.append(f"{label}: parameter '{r.name}' is {r.kind.description} at "
                                f"run time, {s.kind.description} in the stub")
    # Defaults: each stub signature as at run time; an overload may make a parameter that has a
    # default required (`params: QuantParams` beside `params: None = None`) as long as another
    # overload keeps the runtime default.
    candidates = [s for s in stub_sigs if len(s.params) == len(runtime.params)]
    for i, r in enumerate(runtime.params):
        defaults = [s.params[i].default for s in candidates]
        if r.default is NO_DEFAULT:
            if any(d is not NO_DEFAULT for d in defaults):
                problems.append(f"{where}: parameter '{r.name}' has no default at run time, "
                                f"one in the stub")
            continue
        if defaults and all(d is NO_DEFAULT for d in defaults):
            problems.append(f"{where}: parameter '{r.name}' has a default at run time, "
                            f"not so in the stub")
        elif r.default[0] == "literal":
            for d in (d for d in defaults if d is not NO_DEFAULT):
                if d[0] != "literal" or type(d[1]) is not type(r.default[1]) \
                        or d[1] != r.default[1]:
                    problems.append(f"{where}: parameter '{r.name}' defaults to "
                                    f"{r.default[1]!r} at run time, {d[1]!r} in the stub")
    if not candidates:
        return
    # Types: exact for one signature; for overloads, some overload must cover the runtime type.
    for i, r in enumerate(runtime.params):
        if (i == 0 and skip_first) or (eq_operand and i == 1) or r.annotation is None:
            continue
        if len(stub_sigs) == 1:
            ok = _type_matches(r.annotation, candidates[0].params[i].annotation)
        else:
            ok = any(_type_matches(r.annotation, m)
                     for s in candidates for m in _members(s, i))
        if not ok:
            problems.append(f"{where}: parameter '{r.name}' is {r.annotation} at run time, "
                            + " / ".join(str(s.params[i].annotation) for s in candidates)
                            + " in the stub")
    if runtime.returns is not None and not any(_type_matches(runtime.returns, s.returns)
                                               for s in candidates):
        problems.append(f"{where}: returns {runtime.returns} at run time, "
                        + " / ".join(str(s.returns) for s in candidates) + " in the stub")


def _members(sig, i):
    text = sig.params[i].annotation
    return {m.strip() for m in _split_top(text, " | ")} if text else {None}


def _runtime_sigs(obj):
    if is_pybind(obj):
        return pybind_signatures(obj)
    return [python_signature(obj)]


def _compare_callable(where, obj, stub, problems, skip_first, eq_operand=False):
    if not isinstance(stub, StubFunction):
        problems.append(f"{where}: a function at run time, not in the stub")
        return
    runtime = _runtime_sigs(obj)
    if len(runtime) > 1:
        if len(runtime) != len(stub.overloads):
            problems.append(f"{where}: {len(runtime)} overloads at run time, "
                            f"{len(stub.overloads)} in the stub")
            return
        for k, (r, s) in enumerate(zip(runtime, stub.overloads)):
            _compare_sig(f"{where} (overload {k + 1})", r, [s], skip_first, problems, eq_operand)
    else:
        _compare_sig(where, runtime[0], stub.overloads, skip_first, problems, eq_operand)


def _class_members(cls):
    """{name: raw attribute} of a class and its bases up to pybind11_object or builtins."""
    members = {}
    for base in reversed(cls.__mro__):
        if base.__module__ in ("builtins", "pybind11_builtins"):
            continue
        members.update(base.__dict__)
    return {n: v for n, v in members.items()
            if not n.startswith("_") or n in CHECKED_DUNDERS}


def _compare_class(where, cls, stub, problems):
    if not isinstance(stub, StubClass):
        problems.append(f"{where}: a class at run time, not in the stub")
        return
    bases = [b.__qualname__ if b.__module__ in ("builtins", "lowvolt._core") else
             f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__
             if b.__module__ != "pybind11_builtins" and b is not object]
    if bases != stub.bases:
        problems.append(f"{where}: bases {bases} at run time, {stub.bases} in the stub")
    runtime = _class_members(cls)
    instance = {}
    factory = SAMPLE_INSTANCES.get(f"{cls.__module__}.{cls.__qualname__}")
    if factory is not None:
        instance = {n: v for n, v in vars(factory()).items() if not n.startswith("_")}
    elif not hasattr(cls, "__dict__") or (cls.__module__ != "lowvolt._core" and
                                          "__init__" in cls.__dict__):
        problems.append(f"{where}: a pure-Python class without an entry in SAMPLE_INSTANCES")
    for name in sorted(set(runtime) | set(instance) - set(runtime)):
        if name == "__init__" and not is_pybind(runtime[name]) and \
                not inspect.isfunction(runtime[name]):
            continue   # no constructor (pybind11 raises TypeError): nothing to stub
        if name not in stub.members:
            problems.append(f"{where}.{name}: public at run time but has no stub")
    for name, entry in sorted(stub.members.items()):
        member = f"{where}.{name}"
        if name not in runtime and name not in instance:
            problems.append(f"{member}: in the stub but not at run time")
            continue
        if name in instance and name not in runtime:
            if not (isinstance(entry, StubAttribute) and entry.writable):
                problems.append(f"{member}: an instance attribute at run time; the stub should "
                                f"declare it as `{name}: T`")
            continue
        raw = runtime[name]
        if name == "__hash__" and raw is None:
            if not (isinstance(entry, StubAttribute) and entry.classvar
                    and entry.annotation == "None"):
                problems.append(f"{member}: None at run time (unhashable); the stub should say "
                                f"`__hash__: ClassVar[None]`")
            continue
        if isinstance(raw, property):
            if not isinstance(entry, StubAttribute):
                problems.append(f"{member}: a property at run time, not in the stub")
                continue
            if entry.writable != (raw.fset is not None):
                state = "writable" if raw.fset is not None else "read-only"
                problems.append(f"{member}: {state} at run time, not so in the stub")
            if is_pybind(raw.fget):
                getter = pybind_signatures(raw.fget)[0]
                if not _type_matches(getter.returns, entry.annotation):
                    problems.append(f"{member}: {getter.returns} at run time, "
                                    f"{entry.annotation} in the stub")
            if raw.fset is not None and is_pybind(raw.fset):
                value = pybind_signatures(raw.fset)[0].params[-1].annotation
                if not _type_matches(value, entry.annotation):
                    problems.append(f"{member}: set from {value} at run time, "
                                    f"{entry.annotation} in the stub")
            continue
        if name == "__init__" and not is_pybind(raw) and not inspect.isfunction(raw):
            # pybind11's slot for a class without a constructor (it raises TypeError): the stub
            # must not offer one.
            problems.append(f"{member}: the class has no constructor at run time")
            continue
        if isinstance(raw, (staticmethod, classmethod)):
            kind = "staticmethod" if isinstance(raw, staticmethod) else "classmethod"
            if getattr(entry, "kind", None) != kind:
                problems.append(f"{member}: a {kind} at run time, not in the stub")
                continue
            _compare_callable(member, getattr(cls, name), entry, problems,
                              skip_first=kind == "classmethod")
            continue
        if callable(raw):
            if getattr(entry, "kind", None) != "method":
                problems.append(f"{member}: a method at run time, not in the stub")
                continue
            _compare_callable(member, raw, entry, problems, skip_first=True,
                              eq_operand=name in ("__eq__", "__ne__"))
            continue
        if not isinstance(entry, StubAttribute):
            problems.append(f"{member}: an attribute at run time, not in the stub")


def compare_module(module, stub, stubs):
    """Problems (one line each, naming the object) between a runtime module and its stub."""
    problems = []
    runtime = runtime_public_names(module)
    for name in sorted(runtime - set(stub.entries)):
        problems.append(f"{module.__name__}.{name}: public at run time but has no stub")
    for name in sorted(set(stub.entries) - runtime):
        problems.append(f"{module.__name__}.{name}: in the stub but not at run time")
    if stub.all is not None or hasattr(module, "__all__"):
        if list(getattr(module, "__all__", [])) != list(stub.all or []):
            problems.append(f"{module.__name__}.__all__ differs from the stub's")
    for name in sorted(runtime & set(stub.entries)):
        where = f"{module.__name__}.{name}"
        obj, entry = getattr(module, name), stub.entries[name]
        if isinstance(entry, StubReexport):
            source = sys.modules.get(entry.module)
            if source is None or getattr(source, entry.source, None) is not obj:
                problems.append(f"{where}: the stub re-exports {entry.module}.{entry.source}, "
                                f"a different object at run time")
            elif entry.source not in stubs.get(entry.module, StubModule("", {}, None)).entries:
                problems.append(f"{where}: re-exported from {entry.module}, whose stub lacks it")
        elif inspect.isclass(obj):
            _compare_class(where, obj, entry, problems)
        elif callable(obj):
            _compare_callable(where, obj, entry, problems, skip_first=False)
        elif not isinstance(entry, StubAttribute):
            problems.append(f"{where}: a value at run time, not in the stub")
    return problems


def check_all(stubs=None, modules=None):
    """Every problem between the stub modules and the runtime modules ({name: module})."""
    stubs = stubs or load_stubs()
    modules = modules or {m: sys.modules[m] for m in MODULES}
    problems = []
    for name, module in modules.items():
        problems += compare_module(module, stubs[name], stubs)
    return problems


# --- Tests -------------------------------------------------------------------------------------

def test_stub_files_exist():
    for f in [*MODULES.values(), "py.typed"]:
        assert (STUB_DIR / f).is_file(), f"python/lowvolt/{f} is missing"


def test_stubs_match_the_modules():
    problems = check_all()
    assert not problems, "stubs and modules differ:\n" + "\n".join(problems)


def test_classes_without_constructor_raise():
    # Their stubs leave __init__ out (see STUBTEST_TOLERATED); pybind11 refuses the call.
    for cls in (lowvolt.ChipFaults, lowvolt.Profile):
        with pytest.raises(TypeError, match="No constructor defined"):
            cls()


def _planted(module, old, new):
    texts = {m: (STUB_DIR / f).read_text() for m, f in MODULES.items()}
    assert old in texts[module], old
    texts[module] = texts[module].replace(old, new, 1)
    return check_all(load_stubs(texts))


def test_checker_reports_planted_mistakes():
    # A function whose stub is gone, a renamed parameter, a changed default, a wrong type, a
    # stale stub, a property made writable: each reported by name.
    problems = _planted("lowvolt._core", "def vdd_code(vdd: float) -> int: ...\n", "")
    assert "lowvolt._core.vdd_code: public at run time but has no stub" in problems
    problems = _planted("lowvolt._core", "def derive_seed(seed: int, a: int, b: int = 0)",
                        "def derive_seed(seed: int, a: int, c: int = 1)")
    assert any(p.startswith("lowvolt._core.derive_seed: parameter 3 is 'b'") for p in problems)
    assert any("derive_seed: parameter 'b' defaults to 0 at run time, 1" in p for p in problems)
    problems = _planted("lowvolt._core", "def code_volts(code: int) -> float",
                        "def code_volts(code: float) -> int")
    assert "lowvolt._core.code_volts: parameter 'code' is int at run time, float in the stub" \
        in problems
    assert "lowvolt._core.code_volts: returns float at run time, int in the stub" in problems
    problems = _planted("lowvolt.torch", "def memory_parameters(",
                        "def retired(x: int) -> int: ...\ndef memory_parameters(")
    assert "lowvolt.torch.retired: in the stub but not at run time" in problems
    problems = _planted("lowvolt.torch", "start_loss: float = 1.75", "start_loss: float = 2.0")
    assert any(p.startswith("lowvolt.torch.RandBET.__init__: parameter 'start_loss' defaults")
               for p in problems)
    problems = _planted("lowvolt._core", "    @property\n    def provenance(self) -> str: ...",
                        "    provenance: str")
    assert "lowvolt._core.Profile.provenance: read-only at run time, not so in the stub" \
        in problems
    problems = _planted("lowvolt._core", "    def describe(self) -> str: ...\n", "")
    assert "lowvolt._core.BitErrorRates.describe: public at run time but has no stub" in problems
    problems = _planted("lowvolt.torch", "    injecting: bool\n", "")
    assert "lowvolt.torch.RandBET.injecting: public at run time but has no stub" in problems


def test_checker_reports_a_function_added_without_a_stub():
    # The acceptance: a public function added to the compiled module (and re-exported)
    # or to lowvolt.torch without a stub fails the check.
    fakes = {}
    for name in MODULES:
        fake = types.ModuleType(name)
        fake.__dict__.update(vars(sys.modules[name]))
        fakes[name] = fake
    fakes["lowvolt._core"].added_function = lowvolt._core.vdd_code
    fakes["lowvolt"].added_function = lowvolt._core.vdd_code

    def helper(x, y=2):
        return x + y
    helper.__module__ = "lowvolt.torch"
    fakes["lowvolt.torch"].helper = helper
    problems = check_all(modules=fakes)
    for name in ("lowvolt._core.added_function", "lowvolt.added_function",
                 "lowvolt.torch.helper"):
        assert f"{name}: public at run time but has no stub" in problems


def test_pybind_signature_parser():
    name, sig = parse_pybind_signature(
        "f(self: lowvolt._core.X, arg0: numpy.ndarray[numpy.float32], b: List[str] = ['a'], "
        "*, c: Optional[int] = None, d: Dict[str, float] = {'k': 1.0}) -> Tuple[int, float]")
    assert name == "f"
    assert [(p.name, p.kind.name) for p in sig.params] == [
        ("self", "POSITIONAL_OR_KEYWORD"), ("arg0", "POSITIONAL_ONLY"),
        ("b", "POSITIONAL_OR_KEYWORD"), ("c", "KEYWORD_ONLY"), ("d", "KEYWORD_ONLY")]
    assert [p.annotation for p in sig.params] == [
        "X", "NDArray[numpy.float32]", "list[str]", "None | int", "dict[str, float]"]
    assert [p.default for p in sig.params][2:] == [
        ("literal", ["a"]), ("literal", None), ("literal", {"k": 1.0})]
    assert sig.returns == "tuple[int, float]"
    assert runtime_type("lowvolt::profiles::Profile") == "Profile"
    assert runtime_type("object") is None


# --- mypy --------------------------------------------------------------------------------------

# stubtest messages tolerated, each with its reason (everything else fails the test).
STUBTEST_TOLERATED = [
    (r"lowvolt(\._core)?\.\w+ is inconsistent, metaclass differs",
     "pybind11 classes have the metaclass pybind11_builtins.pybind11_type, an implementation "
     "detail with no stub; the classes behave as plain classes for a type checker"),
    (r"lowvolt(\._core)?\.(ChipFaults|Profile)\.__init__ is inconsistent, stub does not have "
     r"\*args argument \"args\"",
     "these classes have no constructor (ChipFaults from Profile.faults_at, Profile from "
     "load/generate): pybind11_object.__init__(*args, **kwargs) raises TypeError, which "
     "test_classes_without_constructor_raise checks; the stubs leave __init__ out"),
]

# The README's Python example (read from README.md) and the NumPy lines of docs/python.md, typed
# through the stubs. The last line must be an error: with --strict (--warn-unused-ignores) the
# ignore would be reported if the stubs made Profile.ber untyped.
NUMPY_LINES = '''
weights_float32 = np.zeros((10, 784), np.float32)
codes, params = lowvolt.quantize(weights_float32, quant)           # uint8 codes + QuantParams
read = chip.read(codes, vdd=0.84, offset=0)                        # the accelerator's read
faulty = lowvolt.dequantize(read, params)                          # float32, weights' shape
noisy = lowvolt.inject_random(codes, 8, 0.01, seed=lowvolt.rte_sample_seed(0, 0))
not_a_str: str = chip.ber(0.84)  # type: ignore[assignment]
'''


@pytest.fixture(scope="module")
def typed_package(tmp_path_factory):
    """The imported lowvolt package copied with the repository's stubs into a temporary folder
    (the build's copy need not hold them yet), with a mypy config whose cache lives there."""
    pytest.importorskip("mypy", reason="mypy is not installed (Debian: python3-mypy)")
    root = tmp_path_factory.mktemp("typed")
    shutil.copytree(Path(lowvolt.__file__).parent, root / "lowvolt",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyi", "py.typed"))
    for f in [*MODULES.values(), "py.typed"]:
        shutil.copy(STUB_DIR / f, root / "lowvolt" / f)
    (root / "mypy.ini").write_text(f"[mypy]\ncache_dir = {root / '.mypy_cache'}\n")
    env = dict(os.environ, PYTHONPATH=str(root), MYPYPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    return root, env


def test_stubtest(typed_package):
    root, env = typed_package
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "lowvolt", "--concise",
                             "--mypy-config-file", str(root / "mypy.ini")], cwd=root, env=env,
                            capture_output=True, text=True, timeout=500, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith(("Found ", "Success")) and not any(
        re.fullmatch(pattern, line) for pattern, _ in STUBTEST_TOLERATED)]
    assert result.returncode in (0, 1) and not result.stderr.strip(), result.stderr
    assert not errors, "stubtest:\n" + "\n".join(errors)
    assert result.returncode == 0 or lines, result.stdout


def test_mypy_strict_on_readme_snippet(typed_package):
    root, env = typed_package
    snippet = "import numpy as np\n" + readme_python_snippet() + NUMPY_LINES
    (root / "snippet.py").write_text(snippet)
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--config-file",
                             str(root / "mypy.ini"), "snippet.py"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=500, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
