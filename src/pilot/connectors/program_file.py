"""Program YAML files: parse, validate everything, report every problem with its path and line.

Validation runs in three passes and collects all problems before failing: the YAML itself
(encoding, syntax, shape), the schema (pydantic: types, required fields, unknown keys, formats),
then the program's own consistency (duplicate ids, dangling references, impossible dates).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import COLLECTIONS, ProgramData

MAX_PROGRAM_FILE_BYTES = 64 * 1024 * 1024
# A program file is a few levels deep (program -> milestones -> [i] -> forecast_history -> [j]);
# a hostile one nested thousands of levels would exhaust the parser's recursion.
MAX_PROGRAM_FILE_DEPTH = 32


class Problem(BaseModel):
    path: str  # e.g. "raid[3].owner"
    line: int | None  # 1-based line in the file, when known
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path or '<file>'}: {self.message}"


class _RefusedYaml(yaml.YAMLError):
    """A construct program files may not use (aliases, deep nesting), with where it is."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _StringDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so pydantic validates them with their path.

    It refuses aliases (`*name`): an alias re-uses a node, and a few nested ones expand to
    billions of nodes ("billion laughs") in every later walk of the tree. It also bounds the
    nesting depth, so a deeply nested file is a problem report, not a RecursionError.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _RefusedYaml(
                f"YAML aliases (*{event.anchor}) are not supported in program files; write the values out",
                event.start_mark,
            )
        if self._depth >= MAX_PROGRAM_FILE_DEPTH:
            raise _RefusedYaml(
                f"nested deeper than {MAX_PROGRAM_FILE_DEPTH} levels",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_StringDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _LineMap:
    """YAML path -> line, built from the composed node tree (PyYAML keeps marks on nodes)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple[str | int, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                self._walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def line_for(self, path: Iterable[str | int]) -> int | None:
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get(())


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fail(problems: list[Problem], source: str) -> PilotError:
    summary = f"{source}: {len(problems)} problem(s) in program file; first: {problems[0]}"
    return PilotError(ErrorCode.INVALID_PROGRAM_FILE, summary, details=[p.model_dump() for p in problems])


def _decode(raw: bytes, source: str) -> str:
    if len(raw) > MAX_PROGRAM_FILE_BYTES:
        raise _fail(
            [Problem(path="", line=None, message=f"file is {len(raw)} bytes, over the limit")], source
        )
    if not raw.strip():
        raise _fail([Problem(path="", line=None, message="file is empty")], source)
    if b"\x00" in raw[:8192]:
        raise _fail([Problem(path="", line=None, message="file is binary (NUL bytes), not YAML")], source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1]
        message = f"not valid UTF-8 at byte {exc.start} ({bad!r}); save the file as UTF-8"
        raise _fail([Problem(path="", line=line, message=message)], source) from exc


def parse_program_yaml(raw: bytes, *, source: str = "program file") -> ProgramData:
    """Parse and validate a program file; raise PilotError(INVALID_PROGRAM_FILE) listing all problems."""
    text = _decode(raw, source)
    try:
        loader = _StringDatesLoader(text)
        try:
            node = loader.get_single_node()
            loaded = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail([Problem(path="", line=line, message=f"YAML syntax error: {problem}")], source) from exc
    lines = _LineMap(node)
    if not isinstance(loaded, dict):
        kind = type(loaded).__name__
        msg = f"top level must be a mapping with 'program', 'people', ... keys, not {kind}"
        raise _fail([Problem(path="", line=1, message=msg)], source)
    try:
        data = ProgramData.model_validate(_stringify_keys(loaded))
    except ValidationError as exc:
        problems = [
            Problem(
                path=format_path(err["loc"]),
                line=lines.line_for(err["loc"]),
                message=_error_message(err),
            )
            for err in exc.errors()
        ]
        raise _fail(problems, source) from exc
    problems = consistency_problems(data, lines)
    if problems:
        raise _fail(problems, source)
    return data


def _stringify_keys(value: Any) -> Any:
    # YAML keys such as `1:` or `yes:` load as int/bool; pydantic then reports them confusingly.
    if isinstance(value, dict):
        return {str(k): _stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_keys(v) for v in value]
    return value


def _error_message(err: Any) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling against the program schema)"
    if "input" in err and err["type"] not in ("missing",):
        shown = repr(err["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{msg} (got {shown})"
    return msg


def consistency_problems(data: ProgramData, lines: _LineMap | None = None) -> list[Problem]:
    """Duplicate ids, dangling references and impossible dates, each with its path."""
    lines = lines or _LineMap(None)
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(path=format_path(path), line=lines.line_for(path), message=message))

    try:
        ZoneInfo(data.program.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        add(("program", "timezone"), f"unknown time zone {data.program.timezone!r}")

    ids: dict[str, set[str]] = {}
    for collection in COLLECTIONS:
        seen: dict[str, int] = {}
        for i, record in enumerate(getattr(data, collection)):
            if record.id in seen:
                add(
                    (collection, i, "id"),
                    f"duplicate id {record.id!r} (first at {collection}[{seen[record.id]}])",
                )
            else:
                seen[record.id] = i
        ids[collection] = set(seen)

    refs: list[tuple[str, str, str]] = [
        # (collection, field, target collection)
        ("teams", "lead", "people"),
        ("people", "team", "teams"),
        ("milestones", "team", "teams"),
        ("milestones", "owner", "people"),
        ("dependencies", "provider_team", "teams"),
        ("dependencies", "consumer_team", "teams"),
        ("dependencies", "owner", "people"),
        ("dependencies", "milestone", "milestones"),
        ("raid", "owner", "people"),
        ("raid", "milestone", "milestones"),
        ("decisions", "decider", "people"),
        ("decisions", "milestone", "milestones"),
        ("action_items", "owner", "people"),
        ("action_items", "milestone", "milestones"),
        ("change_requests", "milestone", "milestones"),
        ("readiness", "release", "milestones"),
        ("readiness", "owner", "people"),
        ("corrective_actions", "incident", "incidents"),
        ("corrective_actions", "owner", "people"),
        ("incidents", "release", "milestones"),
    ]
    for collection, field, target in refs:
        for i, record in enumerate(getattr(data, collection)):
            value = getattr(record, field)
            if value is not None and value not in ids[target]:
                add((collection, i, field), f"refers to unknown {COLLECTIONS[target]} {value!r}")

    def before(
        path: tuple[str | int, ...], earlier: date | datetime | None, later: date | datetime | None, what: str
    ) -> None:
        if earlier is not None and later is not None and later < earlier:
            add(path, what)

    for collection in ("milestones", "dependencies"):
        for i, record in enumerate(getattr(data, collection)):
            for j, change in enumerate(record.forecast_history):
                if j and change.changed_on < record.forecast_history[j - 1].changed_on:
                    add(
                        (collection, i, "forecast_history", j, "changed_on"),
                        "forecast history is not in date order",
                    )
    problems += plan_graph_problems(data, lines)
    for i, r in enumerate(data.raid):
        before(("raid", i, "closed_at"), r.opened_at, r.closed_at, "closed_at is before opened_at")
        before(
            ("raid", i, "owner_assigned_at"), r.opened_at, r.owner_assigned_at, "owner assigned before opened"
        )
        before(("raid", i, "last_progress_at"), r.opened_at, r.last_progress_at, "progress before opened")
        if r.status == "closed" and r.closed_at is None:
            add(("raid", i, "closed_at"), "a closed item needs closed_at")
    for i, d in enumerate(data.decisions):
        before(
            ("decisions", i, "decided_at"), d.requested_at, d.decided_at, "decided_at is before requested_at"
        )
    for i, a in enumerate(data.action_items):
        before(("action_items", i, "completed_at"), a.created_at, a.completed_at, "completed before created")
    for i, inc in enumerate(data.incidents):
        before(("incidents", i, "resolved_at"), inc.started_at, inc.resolved_at, "resolved before it started")
    for i, cr in enumerate(data.change_requests):
        before(
            ("change_requests", i, "decided_at"), cr.requested_at, cr.decided_at, "decided before requested"
        )
    if data.program.start_date is not None:
        for i, m in enumerate(data.milestones):
            before(
                ("milestones", i, "target_date"),
                data.program.start_date,
                m.target_date,
                "target date is before the program start",
            )
    return problems


def plan_graph_problems(data: ProgramData, lines: _LineMap | None = None) -> list[Problem]:
    """The plan graph (milestones and dependencies, linked by `depends_on` and a dependency's
    `milestone`) must name known records and have no cycle: a cycle is reported once, naming
    every record in it in order."""
    lines = lines or _LineMap(None)
    problems: list[Problem] = []
    kinds = {(c, r.id): i for c in ("milestones", "dependencies") for i, r in enumerate(getattr(data, c))}
    owner: dict[str, tuple[str, int]] = {}
    for (collection, record_id), i in kinds.items():
        owner.setdefault(record_id, (collection, i))
    edges: dict[str, list[str]] = {record_id: [] for record_id in owner}  # record -> what it waits for
    for collection in ("milestones", "dependencies"):
        for i, record in enumerate(getattr(data, collection)):
            for j, target in enumerate(record.depends_on):
                path = (collection, i, "depends_on", j)
                if target == record.id:
                    message = "a record cannot depend on itself"
                elif target not in owner:
                    message = f"refers to unknown milestone or dependency {target!r}"
                elif ("milestones", target) in kinds and ("dependencies", target) in kinds:
                    message = f"{target!r} is both a milestone and a dependency id; rename one"
                else:
                    edges[record.id].append(target)
                    continue
                problems.append(Problem(path=format_path(path), line=lines.line_for(path), message=message))
    for d in data.dependencies:
        if d.milestone in owner and d.milestone != d.id:
            edges[d.milestone].append(d.id)
    cycle = _find_cycle(edges)
    if cycle:
        collection, at = owner[cycle[0]]
        where: tuple[str | int, ...] = (collection, at, "depends_on")
        chain = " -> ".join([*cycle, cycle[0]])
        message = f"the plan has a cycle: {chain} (each waits for the next)"
        problems.append(Problem(path=format_path(where), line=lines.line_for(where), message=message))
    return problems


def _find_cycle(edges: dict[str, list[str]]) -> list[str]:
    """One cycle of the graph as the records in it, in order; [] when there is none (iterative DFS)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for root in edges:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        stack = [iter(edges[root])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return path[path.index(step) :]
            elif step not in state:
                state[step] = 1
                path.append(step)
                stack.append(iter(edges.get(step, [])))
    return []


def dump_program_yaml(data: ProgramData) -> str:
    """Export in the import format; `parse_program_yaml(dump_program_yaml(d))` equals `d`."""
    body = data.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
