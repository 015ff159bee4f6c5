"""
``${VAR}`` expansion exactly as go-ucfg's VarExp does it for Beats (go-ucfg variables.go).

Two halves: `parse_template` turns a string value into an expression tree (done eagerly for
every string, because the Beat refuses a config whose ``${`` syntax is broken, whether or not
the setting is used), and `Resolver` evaluates one expression lazily, when a setting is read,
with the lookup order of the code: a config path from the root, then the environment (an empty
variable counts as missing), then the keystore.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from esprobe.config import gotext
from esprobe.record import record

__all__ = [
    "Const",
    "Expr",
    "Lookup",
    "Ref",
    "Resolution",
    "Resolver",
    "TemplateSyntaxError",
    "VariableError",
    "parse_template",
]


class TemplateSyntaxError(ValueError):
    """The ``${...}`` syntax of a value is broken (go-ucfg refuses the whole config)."""


# ---------------------------------------------------------------------------------------------
# Expression tree


@record
class Const:
    text: str


@record
class Ref:
    """A bare ``${name}``: the whole value when it stands alone (typed by its source)."""

    name: str


@record
class Splice:
    pieces: Tuple["Expr", ...]


@record
class Single:
    """``${${X}}``-style: the variable name itself is computed."""

    inner: "Expr"


@record
class OpExp:
    op: str  # ":" default, ":+" alternative, ":?" error
    left: "Expr"
    right: "Expr"


Expr = Union[Const, Ref, Splice, Single, OpExp]

_OPEN, _CLOSE, _SEP, _STR = "open", "close", "sep", "str"


_SPECIALS_OUTSIDE = re.compile(r"\$")
_SPECIALS_INSIDE = re.compile(r"[$:}]")


def _lex(text: str) -> List[Tuple[str, str]]:
    # A port of go-ucfg's lexer: outside a variable only '$' is special ('$$' and '$}' are
    # escapes); inside one, ':' (with '+'/'?' suffixes) and '}' are too. go-ucfg rebuilds the
    # remaining text at each escape; here the pending string is kept in pieces instead, so that a
    # value of a million '$$' costs linear time, not quadratic.
    tokens: List[Tuple[str, str]] = []
    pending: List[str] = []  # the current string token, escapes already applied
    start = 0  # text[start:] is not yet in a token nor in `pending`
    pos = 0  # where the search for the next special character resumes
    depth = 0
    n = len(text)

    def flush(end: int) -> None:
        pending.append(text[start:end])
        joined = "".join(pending)
        pending.clear()
        if joined:
            tokens.append((_STR, joined))

    while True:
        found = (_SPECIALS_OUTSIDE if depth == 0 else _SPECIALS_INSIDE).search(text, pos)
        if found is None:
            break
        idx = found.start()
        after = idx + 1
        ch = text[idx]
        if ch == ":":
            if after >= n:
                break
            flush(idx)
            nxt = text[after]
            if nxt in "+?":
                after += 1
                tokens.append((_SEP, ":" + nxt))
            else:
                tokens.append((_SEP, ":"))
        elif ch == "}":
            flush(idx)
            tokens.append((_CLOSE, "}"))
            depth -= 1
        else:  # '$'
            if after >= n:
                break
            nxt = text[after]
            if nxt == "{":
                flush(idx)
                tokens.append((_OPEN, "${"))
                after += 1
                depth += 1
            elif nxt in "$}":  # an escape: drop the '$', keep the next character as text
                pending.append(text[start:idx])
                start, pos = after, after + 1
                continue
            else:
                pos = after
                continue
        start = pos = after
    pending.append(text[start:])
    rest = "".join(pending)
    if rest:
        tokens.append((_STR, rest))
    return tokens


class _State:
    def __init__(self, is_var: bool) -> None:
        self.is_var = is_var
        self.right = False
        self.op = ""
        self.pieces: Tuple[List[Expr], List[Expr]] = ([], [])

    def add_string(self, s: str) -> None:
        side = self.pieces[1 if self.right else 0]
        if side and isinstance(side[-1], Const):
            side[-1] = Const(side[-1].text + s)
        else:
            side.append(Const(s))

    def add(self, piece: Expr) -> None:
        self.pieces[1 if self.right else 0].append(piece)

    def finalize(self) -> Expr:
        left, right = self.pieces
        if not left:
            raise TemplateSyntaxError("empty expansion")
        if not self.right:
            if len(left) == 1 and isinstance(left[0], Const):
                return Ref(left[0].text)
            return Single(Splice(tuple(left)))
        return OpExp(self.op, _extract(left), _extract(right))


def _extract(pieces: List[Expr]) -> Expr:
    if not pieces:
        return Const("")
    if len(pieces) == 1:
        return pieces[0]
    return Splice(tuple(pieces))


def parse_template(text: str) -> Expr:
    """
    Parse one string value. A value without variables comes back as `Const` with the escapes
    already applied (``$$`` -> ``$``), as go-ucfg stores it.

    Raises:
        TemplateSyntaxError: ``missing '}'``, ``empty expansion``.
    """
    stack = [_State(is_var=False)]
    for kind, val in _lex(text):
        if kind == _OPEN:
            stack.append(_State(is_var=True))
        elif kind == _CLOSE:
            piece = stack.pop().finalize()
            stack[-1].add(piece)
        elif kind == _SEP:
            top = stack[-1]
            if not top.is_var:
                raise TemplateSyntaxError("default separator not within expansion")
            if top.right:
                top.add_string(val)
            else:
                top.right = True
                top.op = val
        else:
            stack[-1].add_string(val)
    if len(stack) > 1:
        raise TemplateSyntaxError("missing '}'")
    result = stack[0].pieces[0]
    if not result:
        return Const("")
    if len(result) == 1:
        return result[0]
    return Splice(tuple(result))


# ---------------------------------------------------------------------------------------------
# Evaluation


@record
class Lookup:
    """One variable name esprobe looked up, and where it was found (``config``/``env``/``keystore``)."""

    name: str
    source: str
    value: Optional[str] = field(default=None, repr=False)


def _first_name(expr: Expr) -> str:
    """The first variable an expression names, for a message; ``(a splice)`` when none is plain."""
    if isinstance(expr, Ref):
        return expr.name
    if isinstance(expr, Splice):
        for piece in expr.pieces:
            name = _first_name(piece)
            if not name.startswith("("):
                return name
    return "(a splice)"


class VariableError(Exception):
    """
    A value could not be resolved.

    Attributes:
        kind: ``missing`` (no source had the variable), ``custom`` (``${X:?text}``),
            ``cyclic``, ``type`` (an object where text was needed), ``parse``, ``limit`` (an
            expansion past esprobe's bounds: size, depth, work or the run's deadline).
        names: the variable names that could not be found.
        text: go-ucfg's wording (``missing field``; the user's own text for ``:?``).
    """

    def __init__(self, kind: str, names: Sequence[str], text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.names = tuple(dict.fromkeys(names))
        self.text = text
        self.lasting = False  # a ``limit`` that holds wherever the variable is read (size, work)


@record(frozen=False)
class Resolution:
    """
    The outcome of resolving one value.

    Attributes:
        value: a plain scalar, or a `Node`-like container handed back by *make_node*.
        text: the text the value was typed from (env/keystore value or spliced string), or None
            when it came straight from the config.
        source: ``config`` | ``env`` | ``keystore`` | ``splice``.
        lookups: every variable consulted on the way.
    """

    value: Any
    text: Optional[str]
    source: str
    lookups: List[Lookup]


# Bounds of one resolution. go-ucfg has none, so a config whose variables double at every level
# (``e0: ${e1}${e1}``, ``e1: ${e2}${e2}`` ...) holds the Beat and any reader that follows it
# exponentially long; these stop the expansion early with a finding naming the variable. They
# are far above anything a real config needs: a CA bundle inline is ~250 KB, a chain of
# variables a handful of links.
MAX_EXPANDED_CHARS = 4 * 1024 * 1024  # the text of one value
MAX_DEPTH = 100  # variables resolved through other variables
MAX_WORK = 200_000  # lookups and splices for one value
_CLOCK_EVERY = 1024  # look at the run's deadline every so many steps


class ExpansionLimit(Exception):
    """Why an expansion was stopped (the VariableError's text)."""


# Callbacks into the tree: find a node by a dotted path from the root; build nodes from plain
# values; tell whether a node holds an expression.
FindNode = Callable[[str], Any]
MakeNode = Callable[[Any, Any, bool], Any]


class Resolver:
    """
    Evaluates expressions against the merged config, the environment and the keystore.

    The environment is consulted before the keystore, as the code does (Beats registers the
    keystore resolver first and ucfg walks resolvers in reverse); the docs say the opposite.
    """

    def __init__(
        self,
        find: FindNode,
        resolve_node: Callable[[Any, "_Context"], Resolution],
        environ: Mapping[str, str],
        keystore: Mapping[str, str],
        deadline: Any = None,
    ) -> None:
        self._find = find
        self.deadline = deadline  # an esprobe.context.Deadline (expired -> every expansion stops)
        self._resolve_node = resolve_node
        self.environ = environ
        self.keystore = keystore
        self.shadowed: Dict[str, Tuple[str, str]] = {}  # name -> (env, keystore) values
        # Config variables whose expansion passed a size or work bound: every later read of the
        # same variable (each setting that uses it, the effective config) fails at once instead of
        # paying the bound again.
        self.over_bound: Dict[str, "VariableError"] = {}

    def context(self) -> "_Context":
        return _Context(self)


class _Context:
    """One resolution run: the lookups made and the config paths currently being resolved."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.lookups: List[Lookup] = []
        self.missing: List[str] = []
        self.active: Set[str] = set()
        self.depth = 0
        self.work = 0
        self.chain: List[str] = []  # the config variables being resolved, outermost first
        # Each config variable resolved once per run of the context: ``${e1}${e1}`` reads e1 twice,
        # and a chain of such doublings would otherwise cost 2^depth lookups (and re-parsing).
        self.memo: Dict[str, Resolution] = {}

    def _step(self, name: str) -> None:
        """Count one unit of work; raise the ``limit`` VariableError when a bound is passed."""
        self.work += 1
        if self.work > MAX_WORK:
            err = VariableError(
                "limit", [name], f"expanding it takes more than {MAX_WORK} variable lookups (esprobe's bound)"
            )
            err.lasting = True
            raise err
        deadline = self.resolver.deadline
        if deadline is not None and self.work % _CLOCK_EVERY == 1 and deadline.expired:
            raise VariableError("limit", [name], "the run's deadline passed while expanding it")

    def _sized(self, text: str, name: str) -> str:
        if len(text) > MAX_EXPANDED_CHARS:
            raise self._too_big(name)
        return text

    @staticmethod
    def _too_big(name: str) -> "VariableError":
        mib = MAX_EXPANDED_CHARS // (1024 * 1024)
        err = VariableError("limit", [name], f"it expands to more than {mib} MiB of text (esprobe's bound)")
        err.lasting = True  # true of every variable that contains it, wherever it is read from
        return err

    # -- sources ---------------------------------------------------------------------------

    def from_config(self, name: str) -> Optional[Resolution]:
        node = self.resolver._find(name)
        if node is None or getattr(node, "value", None) is None:
            return None
        self._step(name)
        known = self.resolver.over_bound.get(name)
        if known is not None:
            raise VariableError("limit", known.names, known.text)
        if name in self.active:
            raise VariableError("cyclic", [name], f"cyclic reference detected for key: '{name}'")
        if name in self.memo:
            return self.memo[name]
        if self.depth >= MAX_DEPTH:
            # Not a cycle (that is the test above): a chain longer than esprobe follows.
            raise VariableError(
                "limit", [name], f"it is reached through more than {MAX_DEPTH} nested variables (esprobe's bound)"
            )
        self.active.add(name)
        self.depth += 1
        self.chain.append(name)
        try:
            resolution = self.resolver._resolve_node(node, self)
        except VariableError as err:
            if err.kind == "limit" and getattr(err, "lasting", False):
                self.resolver.over_bound.setdefault(name, err)
            raise
        finally:
            self.active.discard(name)
            self.depth -= 1
            self.chain.pop()
        self.lookups.append(Lookup(name, "config"))
        self.memo[name] = resolution
        return resolution

    def from_resolvers(self, name: str) -> Optional[Tuple[str, str]]:
        self._step(name)
        env_value = self.resolver.environ.get(name, "")
        store_value = self.resolver.keystore.get(name)
        if env_value and store_value is not None and env_value != store_value:
            self.resolver.shadowed[name] = (env_value, store_value)
        if env_value:  # ResolveEnv treats an empty variable as missing
            self.lookups.append(Lookup(name, "env", env_value))
            return env_value, "env"
        if store_value is not None:
            self.lookups.append(Lookup(name, "keystore", store_value))
            return store_value, "keystore"
        return None

    # -- evaluation --------------------------------------------------------------------------

    def whole(self, expr: Expr) -> Resolution:
        """Resolve an expression that is a whole value (typed by its source)."""
        if isinstance(expr, Const):
            return Resolution(expr.text, None, "config", self.lookups)
        if isinstance(expr, Ref):
            found = self.from_config(expr.name)
            if found is not None:
                return Resolution(found.value, found.text, found.source, self.lookups)
            hit = self.from_resolvers(expr.name)
            if hit is None:
                self.missing.append(expr.name)
                raise VariableError("missing", self.missing, "missing field")
            text, source = hit
            mode = gotext.PARSE_ENV if source == "env" else gotext.PARSE_NOOP
            try:
                value, _ = gotext.parse_typed_text(text, mode)
            except gotext.ParseError as err:
                raise VariableError("parse", [expr.name], str(err)) from None
            return Resolution(value, text, source, self.lookups)
        text = self.text(expr)
        try:
            value, _ = gotext.parse_typed_text(text, gotext.PARSE_DEFAULT)
        except gotext.ParseError as err:
            raise VariableError("parse", [], str(err)) from None
        return Resolution(value, text, "splice", self.lookups)

    def text(self, expr: Expr) -> str:
        """Evaluate to text, as a piece of a splice."""
        if isinstance(expr, Const):
            return expr.text
        if isinstance(expr, Ref):
            return self.ref_text(expr.name)
        if isinstance(expr, Splice):
            parts: List[str] = []
            size = 0
            for piece in expr.pieces:
                part = self.text(piece)
                size += len(part)
                parts.append(part)
                if size > MAX_EXPANDED_CHARS:
                    raise self._too_big(self.chain[-1] if self.chain else _first_name(expr))
            return "".join(parts)
        if isinstance(expr, Single):
            return self.ref_text(self._sized(self.text(expr.inner), "(a computed name)"))
        return self.op(expr)

    def ref_text(self, name: str) -> str:
        try:
            return self._ref_text(name)
        except VariableError as err:
            if err.kind == "limit" and len(err.names) == 1 and err.names[0].startswith("("):
                raise VariableError("limit", [name], err.text) from None
            raise

    def _ref_text(self, name: str) -> str:
        found = self.from_config(name)
        if found is not None:
            value = found.value
            if isinstance(value, (dict, list)) or hasattr(value, "value"):
                raise VariableError("type", [name], "type mismatch")
            return gotext.to_string(value)
        hit = self.from_resolvers(name)
        if hit is None:
            self.missing.append(name)
            raise VariableError("missing", self.missing, "missing field")
        if hit[0] == "":
            raise VariableError("missing", [name], f"can not resolve reference: {name}")
        return hit[0]

    def resolves(self, name: str) -> bool:
        try:
            if self.from_config(name) is not None:
                return True
        except VariableError:
            return False
        return self.from_resolvers(name) is not None

    def op(self, expr: OpExp) -> str:
        if expr.op == ":":
            try:
                name = self.text(expr.left)
            except VariableError:
                return self.text(expr.right)
            if name == "":
                return self.text(expr.right)
            try:
                value = self.ref_text(name)
            except VariableError as err:
                if err.kind == "cyclic":
                    raise
                return self.text(expr.right)
            return value if value != "" else self.text(expr.right)
        if expr.op == ":+":
            try:
                name = self.text(expr.left)
            except VariableError:
                return ""
            if name == "" or not self.resolves(name):
                return ""
            return self.text(expr.right)
        # ":?"
        name = ""
        try:
            name = self.text(expr.left)
        except VariableError:
            name = ""
        if name:
            try:
                value = self.ref_text(name)
            except VariableError:
                value = ""
            if value != "":
                return value
        message = self.text(expr.right)
        names = [name] if name else []
        raise VariableError("custom", names, message)
